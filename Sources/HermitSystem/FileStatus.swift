#if canImport(Glibc)
  import Glibc
#endif

/// stat(2) of a path, for what FileManager's attribute dictionaries give as
/// boxed numbers: a file's size and kind.
public struct FileStatus: Sendable {
  public var size: Int64
  public var isRegularFile: Bool
  public var isDirectory: Bool

  /// The status of `path` (its target, if a symbolic link), or nil.
  public init?(_ path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    size = Int64(info.st_size)
    isRegularFile = info.st_mode & S_IFMT == S_IFREG
    isDirectory = info.st_mode & S_IFMT == S_IFDIR
  }
}
