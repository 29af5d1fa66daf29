#if canImport(Glibc)
  import Glibc
#endif

/// A system call on a file failed.
///
/// The description is one line, `PATH: OPERATION: REASON`, as the CLIs print it
/// after `error: `.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
  /// The file the call was about.
  public var path: String
  /// The call, e.g. `write`, `rename`.
  public var operation: String
  public var errno: Int32

  public init(_ path: String, _ operation: String, errno: Int32) {
    self.path = path
    self.operation = operation
    self.errno = errno
  }

  /// `OPERATION: REASON`, for errors that name the path themselves.
  public var reason: String { "\(operation): \(String(cString: strerror(errno)))" }

  public var description: String { "\(path): \(reason)" }
}
