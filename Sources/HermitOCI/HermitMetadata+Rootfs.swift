import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

extension HermitMetadata {
  /// Reads `hermit/image.json` from an unpacked rootfs (what `hermit-runtime create`
  /// finds in an OCI bundle) and checks that it names files inside the rootfs.
  public static func load(fromRootfs rootfs: URL) throws -> HermitMetadata {
    // Opened inside the rootfs (a bundle's is untrusted: no symbolic link may
    // lead out of it), and by numbers only: no owner lookup through NSS.
    let data: Data
    do {
      let file = try RootedFile(HermitMetadata.path, in: rootfs.path)
      data = Data(try file.readAll(limit: CanonicalJSON.maxDocumentSize))
    } catch  where error.errno == EFBIG {
      throw HermitOCIError.invalidJSON(what: HermitMetadata.path, reason: "file too large")
    } catch  where error.errno == ENOENT {
      throw HermitOCIError.notAHermitImage(
        "\(rootfs.appendingPathComponent(HermitMetadata.path).path) is missing or unreadable")
    } catch {
      throw HermitOCIError.notAHermitImage(error.description)
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
        throw HermitOCIError.notAHermitImage(
          "\(field) path \(Sanitized.quoted(path)) is not inside the image")
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
