/// A path's parent and last component, as text (what NSString's path methods
/// did; the host tools import FoundationEssentials alone). Paths here are the
/// runtime's own, absolute and without trailing slashes.
public enum PathText {
  /// `/a/b/c` -> `/a/b`; `/a` -> `/`; `a` -> ``.
  public static func parent(of path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// `/a/b/c` -> `c`.
  public static func leaf(of path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
    return String(path[path.utf8.index(after: slash)...])
  }
}
