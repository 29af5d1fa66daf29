import FoundationEssentials
import HermitOCI
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Turns `run`'s IMAGE argument into a `PreparedImage`, unpacking at most once.
///
/// Unpacked images live in `<cache>/rootfs/<manifest hex>/` next to
/// `<manifest hex>.json` (the PreparedImage). A layout tarball is remembered by its
/// identity (device, inode, size, mtime) in `<cache>/tarballs/<hash>`, which names
/// the manifest digest, so a warm `run image.tar` reads two small files and does not
/// read the tarball at all. A new or changed tarball is verified and unpacked into a
/// temporary directory and renamed into place, so a half-unpacked rootfs is never used.
struct ImageCache {
  let root: URL

  /// `$HERMIT_HOME/cache`, else `$XDG_CACHE_HOME/hermit`, else `~/.cache/hermit`
  /// (`RunCache`: size-limited, emptied by `hermit-image prune`).
  static func defaultRoot() -> URL { RunCache.defaultRoot() }

  /// Resolves a directory rootfs, a layout tarball or a store reference.
  ///
  /// A path comes first, but one that holds no image does not hide a stored image
  /// of the same name: `hermit-image build -t myapp myapp` run next to the app's
  /// source folder `myapp` stores an image that `run myapp` must find.
  func prepare(_ argument: String) throws -> PreparedImage {
    guard let status = FileStatus(argument) else { return try stored(argument) }
    let url = URL(fileURLWithPath: argument).standardizedFileURL
    do {
      return status.isDirectory ? try directory(url) : try tarball(url)
    } catch {
      if let found = try storedImage(argument) {
        return try prepare(found.image, from: found.store)
      }
      // Say both, unless IMAGE cannot name a stored image at all (`./x`, `/tmp/x`).
      guard (try? Reference(parsing: argument)) != nil else { throw error }
      throw RuntimeError.notAnImage(
        reason: RuntimeError.wrap(error).description, reference: argument)
    }
  }

  /// A directory that already is a rootfs, or an OCI layout directory (`oci:DIR`),
  /// which is verified and unpacked every time (no identity to remember it by).
  private func directory(_ url: URL) throws -> PreparedImage {
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("oci-layout").path) {
      return try unpackFresh { [staging] in
        try ImageUnpacker.unpack(
          layoutTarball: url, reference: nil, into: $0, stagingIn: staging)
      }
    }
    guard FileManager.default.fileExists(atPath: url.appendingPathComponent("hermit/loader").path)
    else {
      throw RuntimeError.invalidArgument("\(url.path) is not a hermit rootfs (no hermit/loader)")
    }
    return PreparedImage(
      reference: url.path, manifestDigest: nil, rootfs: url.path, entrypoint: [], cmd: [], env: [])
  }

  /// A layout tarball, via the tarball-identity index.
  private func tarball(_ url: URL) throws -> PreparedImage {
    let identityFile = try identityURL(url)
    if let identityFile, let digest = try? String(contentsOf: identityFile, encoding: .utf8),
      let cached = cached(hex: digest)
    {
      return cached
    }
    let prepared = try unpackFresh { [staging] directory in
      try ImageUnpacker.unpack(
        layoutTarball: url, reference: nil, into: directory, stagingIn: staging)
    }
    if let identityFile, let digest = prepared.manifestDigest {
      try? FileManager.default.createDirectory(
        at: identityFile.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? AtomicFile.write(Data(hex(of: digest).utf8), to: identityFile, durability: .volatile)
    }
    return prepared
  }

  /// A reference in the local image store.
  private func stored(_ reference: String) throws -> PreparedImage {
    guard let found = try storedImage(reference) else {
      throw RuntimeError.imageNotFound(reference)
    }
    return try prepare(found.image, from: found.store)
  }

  /// The stored image `reference` names, or nil if the store has none by that name
  /// (or `reference` cannot be one, such as a path).
  private func storedImage(_ reference: String) throws -> (store: ImageStore, image: ResolvedImage)?
  {
    let storeRoot = ImageStore.defaultRoot()
    guard
      FileManager.default.fileExists(atPath: storeRoot.appendingPathComponent("index.json").path)
    else { return nil }
    let store = try ImageStore(root: storeRoot)
    do {
      return (store, try store.resolve(reference))
    } catch HermitOCIError.imageNotFound {
      return nil
    } catch HermitOCIError.invalidReference {
      return nil
    }
  }

  /// A stored image, unpacked once.
  private func prepare(_ image: ResolvedImage, from store: ImageStore) throws -> PreparedImage {
    if let cached = cached(hex: hex(of: image.manifestDigest)) { return cached }
    return try unpackFresh { directory in
      try ImageUnpacker.unpack(image, from: store, into: directory)
      return image
    }
  }

  /// The cached image for a manifest digest (hex), if complete.
  private func cached(hex: String) -> PreparedImage? {
    guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit),
      let data = try? Data(contentsOf: rootfsRoot.appendingPathComponent(hex + ".json")),
      let prepared = try? JSONDecoder().decode(PreparedImage.self, from: data),
      FileManager.default.fileExists(atPath: prepared.rootfs)
    else { return nil }
    // Its last use, for the size limit's least-recently-used eviction.
    utimes(rootfsRoot.appendingPathComponent(hex + ".json").path, nil)
    return prepared
  }

  /// Unpacks into a temporary directory, then renames it to its digest's place.
  private func unpackFresh(_ unpack: (URL) throws -> ResolvedImage) throws -> PreparedImage {
    try FileManager.default.createDirectory(at: rootfsRoot, withIntermediateDirectories: true)
    Self.sweepStaging(in: rootfsRoot)
    ImageUnpacker.removeStaleStaging(in: staging)
    let temporary = rootfsRoot.appendingPathComponent(
      "\(Self.stagingPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    defer { try? FileManager.default.removeItem(at: temporary) }
    try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    let image = try unpack(temporary)
    let digestHex = hex(of: image.manifestDigest)
    let final = rootfsRoot.appendingPathComponent(digestHex)
    // Another command may have unpacked the same image meanwhile: keep theirs.
    if rename(temporary.path, final.path) != 0, !FileManager.default.fileExists(atPath: final.path)
    {
      throw RuntimeError.io(path: final.path, reason: String(cString: strerror(errno)))
    }
    var prepared = PreparedImage(
      reference: image.reference, manifestDigest: image.manifestDigest, rootfs: final.path,
      entrypoint: image.config.entrypoint, cmd: image.config.cmd, env: image.config.env)
    prepared.cachedMetadata = try prepared.metadata(config: image.config)
    let data = try JSONEncoder().encode(prepared)
    try AtomicFile.write(
      data, to: rootfsRoot.appendingPathComponent(digestHex + ".json"), durability: .volatile)
    RunCache.trim(root: root, limit: RunCache.limitBytes(), keep: digestHex)
    return prepared
  }

  private var rootfsRoot: URL { root.appendingPathComponent("rootfs") }
  /// Where a tarball's blobs are checked before its layers are unpacked: in the
  /// cache, not the shared /tmp, so that what a killed unpack leaves is found
  /// and removed.
  var staging: URL { root.appendingPathComponent("staging") }

  /// Staging directories are `.tmp-<pid>-<random>` beside the unpacked images.
  static let stagingPrefix = ".tmp-"

  /// Removes staging directories that unpacks killed midway left behind: those
  /// whose process is gone and that are older than `RunCache.minimumAge` (a
  /// process of another pid namespace sharing the cache may look gone).
  /// - Returns: the names removed.
  @discardableResult
  static func sweepStaging(in directory: URL, now: Date = Date()) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    var removed: [String] = []
    for name in names where name.hasPrefix(stagingPrefix) {
      let fields = name.dropFirst(stagingPrefix.count).split(separator: "-")
      guard fields.count == 2, let pid = Int32(fields[0]), pid > 0,
        kill(pid, 0) != 0, errno == ESRCH,
        let status = FileStatus(directory.appendingPathComponent(name).path),
        now.timeIntervalSince1970 - status.modificationTime >= RunCache.minimumAge
      else { continue }
      FileTree.remove(directory.appendingPathComponent(name).path)
      removed.append(name)
    }
    return removed
  }

  /// `<cache>/tarballs/<dev>-<ino>-<size>-<mtime ns>`, or nil if stat fails.
  private func identityURL(_ url: URL) throws -> URL? {
    var info = stat()
    guard stat(url.path, &info) == 0 else { return nil }
    let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    let name = "\(info.st_dev)-\(info.st_ino)-\(info.st_size)-\(mtime)"
    return root.appendingPathComponent("tarballs").appendingPathComponent(name)
  }

  private func hex(of digest: String) -> String {
    digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : digest
  }
}
