#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

extension ChildProcess {
  /// What a finished child wrote and how it ended.
  public struct Captured: Sendable {
    /// The exit status, or 128+N when signal N killed it.
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// stderr as one trimmed line, for error messages.
    public var errorText: String {
      String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
        .map { $0.drop(while: \.isWhitespace) }.filter { !$0.isEmpty }
        .joined(separator: "; ")
    }
  }

  /// Runs `path` to completion with stdin from /dev/null, collecting stdout and
  /// stderr. Both pipes are drained together with `poll`: reading one to its end
  /// first would deadlock with a child that fills the other's pipe buffer.
  public static func capture(
    path: String, argv: [String], options: Options = Options()
  ) throws(HermitQEMUError) -> Captured {
    let out = try makePipe()
    let err: (read: Int32, write: Int32)
    do { err = try makePipe() } catch {
      close(out.read)
      close(out.write)
      throw error
    }
    var childOptions = options
    childOptions.stdin = .null
    childOptions.stdout = .fd(out.write)
    childOptions.stderr = .fd(err.write)
    let pid: pid_t
    do {
      pid = try spawn(path: path, argv: argv, options: childOptions)
    } catch {
      for fd in [out.read, out.write, err.read, err.write] { close(fd) }
      throw error
    }
    close(out.write)
    close(err.write)
    var result = Captured(status: 0, stdout: [], stderr: [])
    var fds = [
      pollfd(fd: out.read, events: Int16(POLLIN), revents: 0),
      pollfd(fd: err.read, events: Int16(POLLIN), revents: 0),
    ]
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while fds.contains(where: { $0.fd >= 0 }) {
      if poll(&fds, nfds_t(fds.count), -1) < 0 {
        if errno == EINTR { continue }
        break
      }
      for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
        let count = read(fds[index].fd, &buffer, buffer.count)
        if count > 0 {
          if index == 0 {
            result.stdout += buffer[0..<count]
          } else {
            result.stderr += buffer[0..<count]
          }
        } else if count == 0 || errno != EINTR {
          close(fds[index].fd)
          fds[index].fd = -1
        }
      }
    }
    for entry in fds where entry.fd >= 0 { close(entry.fd) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    result.status = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return result
  }
}
