import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// A private directory where incoming blobs are written, hashed and fsynced before
/// they are renamed into `blobs/sha256/`. Nothing in it is visible as store content.
///
/// Its owner holds a `flock` on `<dir>.lock` while it lives; `prune` removes staging
/// directories whose lock it can take, which are those of killed commands.
final class StagingArea {
  let directory: URL
  private let lockURL: URL
  private var lock: FileLock?
  /// Blobs written so far: digest → file.
  private(set) var blobs: [Digest: URL] = [:]
  /// `.durable` for blobs that enter the store; `.volatile` for a staging area that
  /// is thrown away (`hermit-runtime` unpacking a tarball), where an fsync per blob
  /// only costs time.
  let durability: AtomicFile.Durability

  /// Creates a staging directory under `parent`. `guardLock` (the store lock, when
  /// given) is held while the lock file is created so `prune` never sees it unlocked.
  init(parent: URL, guardLock: URL?, durability: AtomicFile.Durability = .durable) throws {
    self.durability = durability
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    let name = "ingest-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    directory = parent.appendingPathComponent(name)
    lockURL = parent.appendingPathComponent(name + ".lock")
    let storeLock = try guardLock.flatMap { try FileLock(url: $0) }
    // Leftovers of killed commands go now, while the store lock keeps prune out.
    if storeLock != nil { _ = StagingArea.removeStale(in: parent) }
    lock = try FileLock(url: lockURL)
    storeLock?.unlock()
    guard mkdir(directory.path, 0o700) == 0 else {
      throw HermitOCIError.posix(directory.path, "mkdir", errno: errno)
    }
  }

  deinit { discard() }

  /// Removes the directory and releases the lock.
  func discard() {
    try? FileManager.default.removeItem(at: directory)
    unlink(lockURL.path)
    lock?.unlock()
    lock = nil
  }

  /// Streams bytes from `read` into a new file, hashing them; fsyncs the file.
  /// If `expected` is given, a different digest is an error (the file is deleted).
  @discardableResult
  func write(
    what: String, expected: Digest?, read: (UnsafeMutableRawBufferPointer) throws -> Int
  ) throws -> (digest: Digest, size: Int64) {
    let temporary = directory.appendingPathComponent("partial-\(UInt64.random(in: 0...UInt64.max))")
    let hasher = DigestHasher()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    try AtomicFile.fill(temporary, durability: durability) { fd in
      while true {
        let n = try read(buffer)
        if n == 0 { break }
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        hasher.update(chunk)
        try AtomicFile.writeAll(fd, chunk, path: temporary.path)
      }
    }
    let digest = hasher.finalize()
    if let expected, expected != digest {
      unlink(temporary.path)
      throw HermitOCIError.digestMismatch(
        what: what, expected: expected.description, actual: digest.description)
    }
    let final = directory.appendingPathComponent(digest.hex)
    // The store's commit renames it again and syncs the directory then.
    try AtomicFile.rename(temporary, to: final, durability: .volatile)
    blobs[digest] = final
    return (digest, hasher.count)
  }

  /// Writes an in-memory blob.
  @discardableResult
  func write(_ data: Data, what: String) throws -> Digest {
    var offset = 0
    return try write(what: what, expected: nil) { buffer in
      let n = min(buffer.count, data.count - offset)
      data.copyBytes(to: buffer, from: offset..<(offset + n))
      offset += n
      return n
    }.digest
  }

  /// Removes stale staging directories under `parent` (their owners are gone).
  /// Returns the bytes freed.
  static func removeStale(in parent: URL) -> Int64 {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else {
      return 0
    }
    var freed: Int64 = 0
    for name in names where name.hasPrefix("ingest-") && !name.hasSuffix(".lock") {
      let lockURL = parent.appendingPathComponent(name + ".lock")
      guard let lock = try? FileLock(url: lockURL, wait: false) else { continue }
      let directory = parent.appendingPathComponent(name)
      freed += directorySize(directory)
      try? FileManager.default.removeItem(at: directory)
      unlink(lockURL.path)
      lock.unlock()
    }
    // Lock files whose directory is gone (killed between lock and mkdir).
    for name in names where name.hasSuffix(".lock") {
      let lockURL = parent.appendingPathComponent(name)
      let directory = parent.appendingPathComponent(String(name.dropLast(5)))
      guard !FileManager.default.fileExists(atPath: directory.path),
        let lock = try? FileLock(url: lockURL, wait: false)
      else { continue }
      unlink(lockURL.path)
      lock.unlock()
    }
    return freed
  }

  static func directorySize(_ url: URL) -> Int64 {
    let names = (try? FileManager.default.subpathsOfDirectory(atPath: url.path)) ?? []
    return names.reduce(0) { total, name in
      total + (FileStatus(url.appendingPathComponent(name).path)?.size ?? 0)
    }
  }
}
