import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Creates directories and regular files below a root directory, layer by layer,
/// without ever following a symbolic link: every existing path component must be a
/// real directory (checked with lstat), and files are opened with O_NOFOLLOW. Paths
/// come from `SafeTarWalker`, so they are relative and free of `..`.
///
/// It remembers what the current layer wrote, because a whiteout hides only what
/// the layers below wrote (image-spec/layer.md: "Whiteout files MUST only apply to
/// resources in lower/parent layers").
final class RootfsWriter {
  let root: URL
  /// Paths the current layer created, with their parents.
  private var layerPaths: Set<String> = []

  init(root: URL) throws {
    self.root = root
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  /// Starts the next layer: what was written so far is lower content now.
  func beginLayer() { layerPaths.removeAll() }

  /// Creates `path` and its parents as directories (mode 0755).
  func directory(_ path: String) throws {
    var current = root.path
    var relative = ""
    for component in path.split(separator: "/") {
      current += "/" + component
      relative += relative.isEmpty ? String(component) : "/" + component
      layerPaths.insert(relative)
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
    layerPaths.insert(path)
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

  /// Removes what lower layers put at `path` (a `.wh.` whiteout): a file, or a
  /// directory with everything in it that the current layer did not write. Nothing
  /// there is fine.
  func removeLower(_ path: String) throws {
    guard !layerPaths.contains(path) || isDirectory(path) else { return }
    guard try parentIsDirectory(path), let kind = lstatKind(path) else { return }
    if kind == S_IFDIR {
      try removeLower(inside: path)
      if !layerPaths.contains(path) { try remove(path, directory: true) }
    } else if !layerPaths.contains(path) {
      try remove(path, directory: false)
    }
  }

  /// Removes what lower layers put inside the directory `path` (`""` is the root;
  /// a `.wh..wh..opq` opaque whiteout), keeping what the current layer wrote.
  func removeLower(inside path: String) throws {
    if !path.isEmpty {
      guard try parentIsDirectory(path), lstatKind(path) == S_IFDIR else { return }
    }
    let full = path.isEmpty ? root.path : root.path + "/" + path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []
    for name in names {
      try removeLower(path.isEmpty ? name : path + "/" + name)
    }
  }

  private func isDirectory(_ path: String) -> Bool { lstatKind(path) == S_IFDIR }

  /// The file type bits of `path` below the root, not following a link; nil if absent.
  private func lstatKind(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(root.path + "/" + path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
  }

  /// Whether every parent of `path` is a real directory (false if one is absent).
  private func parentIsDirectory(_ path: String) throws -> Bool {
    var relative = ""
    for component in path.split(separator: "/").dropLast() {
      relative += relative.isEmpty ? String(component) : "/" + component
      guard let kind = lstatKind(relative) else { return false }
      guard kind == S_IFDIR else {
        throw HermitOCIError.unsafeArchive(
          "\(root.path)/\(relative) exists and is not a directory")
      }
    }
    return true
  }

  private func remove(_ path: String, directory: Bool) throws {
    let full = root.path + "/" + path
    let status = directory ? rmdir(full) : unlink(full)
    guard status == 0 || errno == ENOENT else {
      throw HermitOCIError.posix(full, directory ? "rmdir" : "unlink", errno: errno)
    }
  }
}
