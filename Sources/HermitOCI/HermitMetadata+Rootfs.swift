import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

extension HermitMetadata {
  /// Reads `hermit/image.json` from an unpacked rootfs (what `hermit-runtime create`
  /// finds in an OCI bundle) and checks that it names files inside the rootfs.
  public static func load(fromRootfs rootfs: URL) throws -> HermitMetadata {
    let url = rootfs.appendingPathComponent(HermitMetadata.path)
    let data: Data
    do {
      let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
      if let size = attributes[.size] as? Int, size > CanonicalJSON.maxDocumentSize {
        throw HermitOCIError.invalidJSON(what: HermitMetadata.path, reason: "file too large")
      }
      data = try Data(contentsOf: url)
    } catch let error as HermitOCIError {
      throw error
    } catch {
      throw HermitOCIError.notAHermitImage("\(url.path) is missing or unreadable")
    }
    let metadata = try CanonicalJSON.decode(
      HermitMetadata.self, from: data, what: HermitMetadata.path)
    try metadata.validate()
    return metadata
  }

  /// `load(fromRootfs:)`, or the defaults when the rootfs has no `hermit/image.json`
  /// but does hold `hermit/loader` and `hermit/app` (an image built by another tool,
  /// unpacked by podman or containerd: its labels do not reach the bundle).
  public static func loadOrDefaults(fromRootfs rootfs: URL) throws -> HermitMetadata {
    let defaults = HermitMetadata()
    let file = rootfs.appendingPathComponent(HermitMetadata.path).path
    var info = stat()
    if lstat(file, &info) != 0 && errno == ENOENT,
      [defaults.loader, defaults.app].allSatisfy({
        FileManager.default.fileExists(atPath: rootfs.appendingPathComponent($0).path)
      })
    {
      return defaults
    }
    return try load(fromRootfs: rootfs)
  }

  /// Checks the values are usable: relative in-image paths without `..`, sane sizes.
  public func validate() throws {
    for (field, path) in [("loader", loader), ("app", app)] {
      guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
        throw HermitOCIError.notAHermitImage("\(field) path \"\(path)\" is not inside the image")
      }
    }
    guard (1...255).contains(cpus) else {
      throw HermitOCIError.notAHermitImage("cpus \(cpus) out of range 1...255")
    }
    guard (MemorySize.minimumMiB...MemorySize.maximumMiB).contains(memoryMiB) else {
      throw HermitOCIError.notAHermitImage(
        "memory \(memoryMiB)M out of range \(MemorySize.minimumMiB)M...\(MemorySize.maximumMiB)M")
    }
    guard exposedPorts.allSatisfy({ (1...65535).contains($0) }) else {
      throw HermitOCIError.notAHermitImage("exposed port out of range 1...65535")
    }
  }
}
