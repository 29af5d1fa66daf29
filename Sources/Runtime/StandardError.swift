#if canImport(Glibc)
  import Glibc
#endif

/// Writes diagnostics to file descriptor 2 with write(2), ignoring failures.
///
/// Foundation's `FileHandle.standardError.write` traps (SIGILL) when the write
/// fails, and containerd's shim may hand the runtime `/dev/null` opened read-only
/// as stderr (EBADF). A closed pipe must not kill the runtime either (SIGPIPE): a
/// message must never crash it (issue 12).
enum StandardError {
  /// Writes `line` plus a newline to `fd` (stderr unless told), retrying partial
  /// writes and EINTR; gives up silently on any other error.
  static func write(line: String, to fd: Int32 = 2) {
    // SIGPIPE blocked for the write, and one it raised discarded before unblocking.
    var pipe = sigset_t()
    sigemptyset(&pipe)
    sigaddset(&pipe, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipe, &previous)
    var pending = sigset_t()
    sigpending(&pending)
    let wasPending = sigismember(&pending, SIGPIPE) == 1
    defer {
      sigpending(&pending)
      if !wasPending, sigismember(&pending, SIGPIPE) == 1 {
        var now = timespec()
        _ = sigtimedwait(&pipe, nil, &now)
      }
      pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    var bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes {
        Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset)
      }
      if written > 0 {
        offset += written
      } else if written < 0 && errno == EINTR {
        continue
      } else {
        return
      }
    }
  }
}
