#if canImport(Glibc)
  import Glibc
#endif

/// Removal of a directory tree with plain system calls, never following a
/// symbolic link: what FileManager.removeItem does, with less work per entry, for
/// the container directory a `run --rm` removes as its last step.
public enum FileTree {
  /// Removes `path` and everything below it; false if anything stayed.
  @discardableResult
  public static func remove(_ path: String) -> Bool {
    // unlink(2) removes a file or symbolic link, and refuses a directory (EISDIR).
    if unlink(path) == 0 || errno == ENOENT { return true }
    guard errno == EISDIR, let directory = opendir(path) else { return false }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name != "." && name != ".." { names.append(name) }
    }
    closedir(directory)
    var removed = true
    for name in names where !remove(path + "/" + name) { removed = false }
    return (rmdir(path) == 0 || errno == ENOENT) && removed
  }
}
