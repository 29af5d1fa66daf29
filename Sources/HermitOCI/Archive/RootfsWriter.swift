import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Creates directories and regular files below a root directory without ever
/// following a symbolic link: every existing path component must be a real
/// directory (checked with lstat), and files are opened with O_NOFOLLOW. Paths come
/// from `SafeTarWalker`, so they are relative and free of `..`.
struct RootfsWriter {
  let root: URL

  init(root: URL) throws {
    self.root = root
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  /// Creates `path` and its parents as directories (mode 0755).
  func directory(_ path: String) throws {
    var current = root.path
    for component in path.split(separator: "/") {
      current += "/" + component
      var info = stat()
      if lstat(current, &info) == 0 {
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
          throw HermitOCIError.unsafeArchive("\(current) exists and is not a directory")
        }
        continue
      }
      guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
        throw HermitOCIError.posix(current, "mkdir", errno: errno)
      }
    }
  }

  /// Writes a regular file with permission bits `mode` (replacing a regular file a
  /// lower layer put there).
  func file(
    _ path: String, size: Int64, mode: UInt32 = 0o644,
    read: (UnsafeMutableRawBufferPointer) throws -> Int
  ) throws {
    if let slash = path.lastIndex(of: "/") { try directory(String(path[..<slash])) }
    let full = root.path + "/" + path
    var info = stat()
    if lstat(full, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
      throw HermitOCIError.unsafeArchive("\(full) exists and is not a regular file")
    }
    let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw HermitOCIError.posix(full, "create", errno: errno) }
    defer { close(fd) }
    // fchmod, not the open mode: the umask must not change what the layer says.
    fchmod(fd, mode_t(mode & 0o777))
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let n = try read(buffer)
      if n == 0 { break }
      try AtomicFile.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: full)
    }
  }
}
