#if canImport(Glibc)
  import Glibc
#endif

/// stat(2) of a path, for what FileManager's attribute dictionaries give as
/// boxed numbers: a file's size, kind and modification time. Numbers only:
/// FileManager's attributes also name the owner through NSS, which crashes a
/// static binary on a uid without a passwd entry (an image layer can carry any).
public struct FileStatus: Sendable {
  public var size: Int64
  public var isRegularFile: Bool
  public var isDirectory: Bool
  /// Seconds since 1970, with the nanoseconds as a fraction.
  public var modificationTime: Double
  public var uid: UInt32

  /// The status of `path` (its target, if a symbolic link), or nil.
  public init?(_ path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    size = Int64(info.st_size)
    isRegularFile = info.st_mode & S_IFMT == S_IFREG
    isDirectory = info.st_mode & S_IFMT == S_IFDIR
    modificationTime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    uid = info.st_uid
  }
}
