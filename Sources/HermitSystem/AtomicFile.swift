import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// The one way files are replaced: a temporary file in the same directory, then
/// `rename` over the target. A reader sees the old file or the new one, never a part.
///
/// - `.durable` also fsyncs the file before the rename and the directory after it,
///   so the new file survives a crash of the machine (image store, tarballs).
/// - `.volatile` skips both fsyncs: for state that means nothing after a reboot
///   (container records, caches), where an fsync would cost milliseconds on every boot.
/// - On any error the temporary file is removed.
public enum AtomicFile {
  /// Whether a write must survive a crash of the machine, not only of the process.
  public enum Durability: Sendable {
    case durable
    case volatile
  }

  /// Replaces `url` with `bytes`.
  public static func write(
    _ bytes: some ContiguousBytes, to url: URL, durability: Durability = .durable
  ) throws {
    let temporary = temporaryURL(for: url)
    try fill(temporary, durability: durability) { fd in
      try bytes.withUnsafeBytes { try writeAll(fd, $0, path: temporary.path) }
    }
    try rename(temporary, to: url, durability: durability)
  }

  /// A fresh name beside `url` for the temporary file of an atomic write.
  public static func temporaryURL(for url: URL) -> URL {
    url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
  }

  /// Creates `temporary` (it must not exist), lets `body` write through its file
  /// descriptor, then (if durable) fsyncs and closes it. On any error the file is
  /// closed and removed, so no partial file is left behind. Errors name `errorPath`.
  public static func fill(
    _ temporary: URL, errorPath: String? = nil, durability: Durability = .durable,
    _ body: (Int32) throws -> Void
  ) throws {
    let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw SystemError(errorPath ?? temporary.path, "create", errno: errno)
    }
    do {
      try body(fd)
      if durability == .durable, fsync(fd) != 0 {
        throw SystemError(temporary.path, "fsync", errno: errno)
      }
      close(fd)
    } catch {
      close(fd)
      unlink(temporary.path)
      throw error
    }
  }

  /// Renames `from` over `to` (removing `from` if that fails) and, if durable,
  /// makes the rename survive a crash.
  public static func rename(
    _ from: URL, to: URL, durability: Durability = .durable
  ) throws(SystemError) {
    guard Glibc.rename(from.path, to.path) == 0 else {
      let code = errno
      unlink(from.path)
      throw SystemError(to.path, "rename", errno: code)
    }
    if durability == .durable { syncDirectory(to.deletingLastPathComponent()) }
  }

  /// fsyncs a directory so a rename in it survives a crash.
  public static func syncDirectory(_ url: URL) {
    let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
      fsync(fd)
      close(fd)
    }
  }

  /// Writes all of `buffer` to `fd`, retrying short writes and EINTR.
  public static func writeAll(
    _ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String
  ) throws(SystemError) {
    var offset = 0
    while offset < buffer.count {
      let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        throw SystemError(path, "write", errno: errno)
      }
      offset += n
    }
  }
}
