import CHermitSys

#if canImport(Glibc)
  import Glibc
#endif

/// A regular file opened by a path that must stay inside a directory tree: an
/// OCI bundle's rootfs or an unpacked image, whose contents are untrusted.
///
/// The path is resolved with openat2(2) `RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS`: no component may be a symbolic link, and `..` cannot
/// climb above the root. Where the kernel has no openat2 (before Linux 5.6) the
/// same walk is made one component at a time with `O_NOFOLLOW`. The file is
/// opened once and checked with fstat(2); whoever uses it reads that
/// descriptor, or checks that what it opened by `openedPath` is the same file
/// (device and inode), so nothing can swap the file between check and use.
public final class RootedFile: Sendable {
  /// Close-on-exec, read-only.
  public let descriptor: Int32
  /// The path inside the root, as given.
  public let path: String
  public let size: Int64

  /// Opens `path` (relative to `root`, a leading `/` allowed) as a regular file.
  /// - Parameter followingSymlinks: a trusted path (the user's own files):
  ///   opened as open(2) would, relative to `root` unless absolute.
  /// - Throws: `SystemError` naming `root/path`: `ELOOP` for a symbolic link
  ///   anywhere on the way, `EXDEV` for a path that would leave the root,
  ///   `EINVAL` for anything but a regular file.
  public init(_ path: String, in root: String, followingSymlinks: Bool = false) throws(SystemError)
  {
    let shown =
      path.hasPrefix("/") && followingSymlinks
      ? path : root.hasSuffix("/") ? root + path : root + "/" + path
    let rootFD = hermit_open_directory_path(AT_FDCWD, root, 0)
    guard rootFD >= 0 else { throw SystemError(root, "open", errno: errno) }
    defer { close(rootFD) }
    let relative = path.hasPrefix("/") ? String(path.drop { $0 == "/" }) : path
    var fd: Int32
    if followingSymlinks {
      fd = openat(rootFD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
    } else {
      fd = hermit_open_in_root(rootFD, relative.isEmpty ? "." : relative)
      if fd < 0 && errno == ENOSYS { fd = Self.walk(rootFD, relative) }
    }
    guard fd >= 0 else {
      let saved = errno
      throw SystemError(shown, Self.operation(errno: saved, followingSymlinks), errno: saved)
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let saved = errno
      close(fd)
      throw SystemError(shown, "fstat", errno: saved)
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw SystemError(shown, "open a regular file", errno: EINVAL)
    }
    descriptor = fd
    self.path = path
    size = Int64(info.st_size)
  }

  deinit { close(descriptor) }

  /// The absolute path the file was opened by (readlink of `/proc/self/fd/N`),
  /// for an API that wants a path; check that what it then opens is this file.
  public var openedPath: String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/fd/\(descriptor)", &buffer, buffer.count - 1)
    guard length > 0 else { return "/proc/self/fd/\(descriptor)" }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Reads the whole file, refusing one larger than `limit` bytes.
  public func readAll(limit: Int) throws(SystemError) -> [UInt8] {
    guard size <= Int64(limit) else { throw SystemError(path, "read", errno: EFBIG) }
    var bytes = [UInt8](repeating: 0, count: Int(size))
    var done = 0
    while done < bytes.count {
      let got = bytes.withUnsafeMutableBytes {
        pread(descriptor, $0.baseAddress! + done, $0.count - done, off_t(done))
      }
      if got < 0 && errno == EINTR { continue }
      guard got > 0 else { throw SystemError(path, "read", errno: got < 0 ? errno : EIO) }
      done += got
    }
    return bytes
  }

  /// The refusals name what was refused; other failures say which open it was.
  private static func operation(errno: Int32, _ followingSymlinks: Bool) -> String {
    if followingSymlinks { return "open" }
    switch errno {
    case ELOOP: return "refused: a symbolic link in an image's files"
    case EXDEV: return "refused: a path that leaves the image's root"
    default: return "open inside the image's root"
    }
  }

  /// The fallback: each directory with `O_NOFOLLOW | O_DIRECTORY`, the last
  /// component with `O_NOFOLLOW`; `..` is refused outright (EXDEV, as openat2's
  /// `RESOLVE_BENEATH` would say).
  private static func walk(_ rootFD: Int32, _ path: String) -> Int32 {
    let parts = path.split(separator: "/").filter { $0 != "." }
    if parts.contains("..") {
      errno = EXDEV
      return -1
    }
    var current = dup(rootFD)
    for (index, part) in parts.enumerated() {
      let last = index == parts.count - 1
      let next =
        last
        ? openat(current, String(part), O_RDONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC)
        : hermit_open_directory_path(current, String(part), 1)
      let saved = errno
      close(current)
      guard next >= 0 else {
        errno = saved
        return -1
      }
      current = next
    }
    return current
  }
}
