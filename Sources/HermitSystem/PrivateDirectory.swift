#if canImport(Glibc)
  import Glibc
#endif

/// A directory that only its owner can change: for state that decides what a
/// privileged process signals and deletes (the runtime's container records).
///
/// The path is walked from `/` with `lstat`, one component at a time:
/// - the directory itself is a real directory (never a symbolic link), belongs to
///   the caller (effective uid) and ends up mode 0700;
/// - every directory above it belongs to root or the caller, and one that others
///   may write is sticky (`/tmp`), so nobody else can rename or replace an entry;
/// - a symbolic link above it (`/var/run`) is followed only if it belongs to root
///   or the caller, and its target is walked by the same rules.
///
/// A `/tmp/hermit-<uid>` made in advance by another user, or a link from there to
/// another user's directory, is therefore refused instead of used.
public enum PrivateDirectory {
  /// Why a directory was refused; `description` is one line, `PATH: REASON`.
  public struct Refusal: Error, Equatable, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
  }

  /// Symbolic links followed on one walk before giving up (ELOOP's order).
  static let maximumLinks = 32

  /// Checks `path` and, with `create`, makes its missing components (mode 0700).
  /// - Returns: false if `path` does not exist and `create` is false (nothing to
  ///   check, nothing stored there); true once it exists and passed.
  @discardableResult
  public static func prepare(_ path: String, create: Bool) throws(Refusal) -> Bool {
    let euid = geteuid()
    var pending = components(path)
    var current = ""  // a real path (no links), "" for "/"
    var links = 0
    while !pending.isEmpty {
      let name = pending.removeFirst()
      if name == ".." {
        current = String(current[..<(current.lastIndex(of: "/") ?? current.startIndex)])
        continue
      }
      let next = current + "/" + name
      var info = stat()
      if lstat(next, &info) != 0 {
        guard errno == ENOENT else { throw Refusal(path: next, reason: errorText()) }
        guard create else { return false }
        // EEXIST: another command made it meanwhile; it is checked like any other.
        guard mkdir(next, 0o700) == 0 || errno == EEXIST, lstat(next, &info) == 0 else {
          throw Refusal(path: next, reason: "mkdir: " + errorText())
        }
      }
      let isLast = pending.isEmpty
      let owner = info.st_uid
      switch info.st_mode & S_IFMT {
      case S_IFLNK:
        guard !isLast else {
          throw Refusal(path: next, reason: "is a symbolic link; a state directory must not be one")
        }
        guard owner == 0 || owner == euid else {
          throw Refusal(
            path: next, reason: "is a symbolic link of uid \(owner), not \(euid) or root")
        }
        links += 1
        guard links <= maximumLinks, let target = readLink(next) else {
          throw Refusal(path: next, reason: "cannot follow: " + errorText(ELOOP))
        }
        if target.hasPrefix("/") { current = "" }
        pending = components(target) + pending
        continue
      case S_IFDIR:
        break
      default:
        throw Refusal(path: next, reason: "is not a directory")
      }
      if isLast {
        guard owner == euid else {
          throw Refusal(
            path: next,
            reason: "belongs to uid \(owner), not \(euid); a state directory must be the caller's")
        }
        if info.st_mode & 0o7777 != 0o700 { try tighten(next) }
      } else {
        guard owner == 0 || owner == euid else {
          throw Refusal(path: next, reason: "belongs to uid \(owner), not \(euid) or root")
        }
        guard info.st_mode & 0o022 == 0 || info.st_mode & S_ISVTX != 0 else {
          throw Refusal(path: next, reason: "can be written by others and is not sticky")
        }
      }
      current = next
    }
    return true
  }

  /// Mode 0700 for the caller's own directory (opened without following a link,
  /// so the mode goes to what was checked).
  private static func tighten(_ path: String) throws(Refusal) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { throw Refusal(path: path, reason: "open: " + errorText()) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_uid == geteuid(), fchmod(fd, 0o700) == 0 else {
      throw Refusal(path: path, reason: "chmod 0700: " + errorText())
    }
  }

  private static func components(_ path: String) -> [String] {
    path.split(separator: "/").map(String.init).filter { $0 != "." }
  }

  private static func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
}
