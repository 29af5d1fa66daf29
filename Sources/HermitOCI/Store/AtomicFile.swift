import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Crash-safe file writes: temporary file in the same directory, fsync, rename,
/// fsync of the directory. A reader sees the old file or the new one, never a part.
enum AtomicFile {
  /// Replaces `url` with `data`.
  static func write(_ data: Data, to url: URL) throws {
    let temporary = temporaryURL(for: url)
    try fill(temporary) { fd in
      try data.withUnsafeBytes { try writeAll(fd, $0, path: temporary.path) }
    }
    try rename(temporary, to: url)
  }

  /// A fresh name beside `url` for the temporary file of an atomic write.
  static func temporaryURL(for url: URL) -> URL {
    url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
  }

  /// Creates `temporary` (it must not exist), lets `body` write through its file
  /// descriptor, then fsyncs and closes it. On any error the file is closed and
  /// removed, so no partial file is left behind. Errors name `errorPath`.
  static func fill(
    _ temporary: URL, errorPath: String? = nil, _ body: (Int32) throws -> Void
  ) throws {
    let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw HermitOCIError.posix(errorPath ?? temporary.path, "create", errno: errno)
    }
    do {
      try body(fd)
      guard fsync(fd) == 0 else {
        throw HermitOCIError.posix(temporary.path, "fsync", errno: errno)
      }
      close(fd)
    } catch {
      close(fd)
      unlink(temporary.path)
      throw error
    }
  }

  /// Renames `from` over `to` and makes the rename durable.
  static func rename(_ from: URL, to: URL) throws {
    guard Glibc.rename(from.path, to.path) == 0 else {
      let code = errno
      unlink(from.path)
      throw HermitOCIError.posix(to.path, "rename", errno: code)
    }
    syncDirectory(to.deletingLastPathComponent())
  }

  /// fsyncs a directory so a rename in it survives a crash.
  static func syncDirectory(_ url: URL) {
    let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
      fsync(fd)
      close(fd)
    }
  }

  static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
    var offset = 0
    while offset < buffer.count {
      let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        throw HermitOCIError.posix(path, "write", errno: errno)
      }
      offset += n
    }
  }
}
