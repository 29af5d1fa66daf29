import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// An exclusive `flock(2)` on a file, released when the lock is closed or the
/// process dies (so a killed command never leaves the store locked).
final class FileLock {
  private var fd: Int32

  /// Opens (creating) `url` and takes the lock, waiting for it unless `wait` is false;
  /// returns nil when `wait` is false and another process holds it.
  init?(url: URL, wait: Bool = true) throws {
    fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw HermitOCIError.posix(url.path, "open", errno: errno) }
    while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
      if errno == EINTR { continue }
      let code = errno
      close(fd)
      if code == EWOULDBLOCK { return nil }
      throw HermitOCIError.posix(url.path, "flock", errno: code)
    }
  }

  func unlock() {
    if fd >= 0 {
      close(fd)
      fd = -1
    }
  }

  deinit { unlock() }
}
