/// libarchive's `AE_IF*` file types (archive_entry.h). They are cast macros that
/// Swift cannot import, so the values are restated; they equal the POSIX `S_IF*`.
enum ArchiveFileType {
  static let regular: UInt32 = 0o100000  // AE_IFREG
  static let symlink: UInt32 = 0o120000  // AE_IFLNK
  static let socket: UInt32 = 0o140000  // AE_IFSOCK
  static let characterDevice: UInt32 = 0o020000  // AE_IFCHR
  static let blockDevice: UInt32 = 0o060000  // AE_IFBLK
  static let directory: UInt32 = 0o040000  // AE_IFDIR
  static let fifo: UInt32 = 0o010000  // AE_IFIFO
}
