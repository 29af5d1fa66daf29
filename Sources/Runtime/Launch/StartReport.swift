#if canImport(Glibc)
  import Glibc
#endif

/// How a detached container's start-up went, told by its shim to the `run -d` that
/// launched it, over a pipe (the shim's `--report-fd`), one line per message:
///
/// - `started PID` once QEMU runs (its pid);
/// - `failed LINE` when the container ended in an error of the runtime itself
///   (exit 125), LINE being what a foreground `run` prints for it;
/// - end of file when the shim exits.
///
/// `run -d` returns once QEMU listens on every published TCP port, as `docker run
/// -d` returns once its ports are bound: a client can connect at once, and QEMU
/// holds the connection until the guest's app accepts it. A port QEMU could not
/// forward (`Could not set up host forwarding rule`) ends QEMU at start, and that
/// is then the run's error.
enum StartReport {
  /// The shim's end of the pipe.
  struct Sender: Sendable {
    let fd: Int32

    /// Takes over `fd`, which QEMU must not inherit.
    init(fd: Int32) {
      self.fd = fd
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    func started(qemu pid: pid_t) { send("started \(pid)") }
    func failed(_ line: String) { send("failed " + line) }

    /// The launcher may have stopped reading long ago: a closed pipe is ignored.
    private func send(_ message: String) { StandardError.write(line: message, to: fd) }
  }

  /// How start-up ended, as the launcher saw it.
  enum Outcome: Equatable {
    /// QEMU runs and listens on every published TCP port.
    case ready
    /// QEMU (or the shim) still runs, but did not get that far in time.
    case timedOut
    /// The shim exited; `failure` is the line to print if that was a runtime error.
    case ended(failure: String?)
  }

  /// How often the launcher looks at QEMU's sockets while it waits.
  static let pollInterval: Duration = .milliseconds(5)

  /// Reads the report on `fd` until QEMU listens on all of `tcpPorts`, the shim
  /// exits, or `timeout` passes.
  ///
  /// Only TCP ports are waited for: a UDP socket has no listening state (a bound
  /// one shows as `07`, CLOSE, like any other unconnected one in `/proc/net/udp`).
  /// QEMU sets up all its forwards in one step before the VM starts, so the TCP
  /// ones stand for the UDP ones; a run with UDP forwards only waits for QEMU's start.
  static func wait(_ fd: Int32, tcpPorts: Set<Int>, timeout: Duration) -> Outcome {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var pending: [UInt8] = []
    var qemu: pid_t?
    var failure: String?
    var buffer = [UInt8](repeating: 0, count: 1024)
    while true {
      // A failure already reported wins: the shim is on its way out.
      if failure == nil, let qemu, tcpPorts.isSubset(of: ListeningPorts.tcp(of: qemu)) {
        return .ready
      }
      let left = clock.now.duration(to: deadline)
      guard left > .zero else { return .timedOut }
      var wait = left
      if qemu != nil, failure == nil { wait = min(wait, pollInterval) }
      var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, milliseconds(wait))
      if ready < 0, errno == EINTR { continue }
      guard ready > 0 else {
        if ready < 0 { return .timedOut }
        continue
      }
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0, errno == EINTR { continue }
      // End of file (or a broken pipe): the shim is gone.
      guard count > 0 else { return .ended(failure: failure) }
      pending += buffer[..<count]
      while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[..<newline], as: UTF8.self)
        pending.removeSubrange(...newline)
        if line.hasPrefix("started "), let pid = pid_t(line.dropFirst(8)) {
          qemu = pid
        } else if line.hasPrefix("failed ") {
          failure = String(line.dropFirst(7))
        }
      }
    }
  }

  /// poll's timeout for `duration`, rounded up so the loop does not wake early.
  private static func milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    let rounded = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return Int32(clamping: max(rounded, 0))
  }
}
