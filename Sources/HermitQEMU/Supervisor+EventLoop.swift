import CHermitSys

#if canImport(Glibc)
  import Glibc
#endif

/// The supervisor's one loop: a `poll(2)` over QEMU's pidfd, QEMU's stderr pipe and
/// the signal self-pipe, with the nearest deadline (timeout, end of a stop's grace)
/// as poll's timeout. Everything runs on the calling thread: no lock, no timer
/// thread, no callback from elsewhere.
extension Supervisor {
  /// The descriptors and limits of one run.
  struct Watch {
    var pid: pid_t
    /// QEMU's stderr (read end, owned by the caller).
    var stderr: Int32
    /// The signal self-pipe, when signals stop the VM.
    var signals: SignalRelay?
    /// Kill QEMU after this long.
    var timeout: Duration?
    /// `Options.housekeeping`.
    var housekeeping: (interval: Duration, run: @Sendable () -> Void)?
  }

  /// A pidfd becomes readable when its process exits; without one (Linux before
  /// 5.3) the loop wakes this often to ask `waitpid`.
  static let exitPollInterval: Duration = .milliseconds(20)

  /// Runs the loop until QEMU has exited and its stderr is read.
  /// - Returns: QEMU's wait status.
  func supervise(_ watch: Watch, watchdog: inout StderrWatchdog) -> Int32 {
    let clock = ContinuousClock()
    let timeoutDeadline = watch.timeout.map { clock.now + $0 }
    let pidfd = PidFD.open(watch.pid)
    defer { if let pidfd { close(pidfd) } }
    var status: Int32 = 0
    var stderrOpen = true
    _ = fcntl(watch.stderr, F_SETFL, fcntl(watch.stderr, F_GETFL) | O_NONBLOCK)
    var housekeepingDeadline = watch.housekeeping.map { clock.now + $0.interval }

    while !exited {
      var fds: [pollfd] = []
      if let pidfd { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
      if stderrOpen { fds.append(pollfd(fd: watch.stderr, events: Int16(POLLIN), revents: 0)) }
      if let signals = watch.signals {
        fds.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0))
      }
      var deadlines = [timeoutDeadline, killDeadline, housekeepingDeadline].compactMap { $0 }
      if pidfd == nil { deadlines.append(clock.now + Self.exitPollInterval) }
      let wait = deadlines.min().map { Self.milliseconds(until: $0, clock: clock) } ?? -1
      if poll(&fds, nfds_t(fds.count), wait) < 0, errno != EINTR {
        // Cannot happen with valid descriptors; do not spin: wait for QEMU plainly.
        while waitpid(watch.pid, &status, 0) < 0, errno == EINTR {}
        exited = true
        break
      }

      if stderrOpen, !readStderr(watch.stderr, into: &watchdog) { stderrOpen = false }
      if let signals = watch.signals {
        for signal in signals.drain() { stop(.signal(signal), graceful: true) }
      }
      let now = clock.now
      if let timeoutDeadline, now >= timeoutDeadline { stop(.timeout, graceful: false) }
      if let housekeeping = watch.housekeeping, let deadline = housekeepingDeadline,
        now >= deadline
      {
        housekeeping.run()
        housekeepingDeadline = clock.now + housekeeping.interval
      }
      if let killDeadline, now >= killDeadline {
        if cause == nil { cause = askedGuest }  // the guest did not finish in time
        kill(watch.pid, SIGKILL)
        self.killDeadline = nil
      }
      if waitpid(watch.pid, &status, WNOHANG) == watch.pid { exited = true }
    }
    // Whatever QEMU wrote before it exited is in the pipe now; a descendant that
    // kept the write end open must not keep the runtime waiting for EOF.
    if stderrOpen { _ = readStderr(watch.stderr, into: &watchdog) }
    if watchdog.finish() { cause = cause ?? .kvmInternalError }
    return status
  }

  /// Reads what stderr has now and feeds it to the watchdog.
  /// - Returns: false at EOF.
  private func readStderr(_ fd: Int32, into watchdog: inout StderrWatchdog) -> Bool {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0, errno == EINTR { continue }
      if count < 0 { return errno == EAGAIN }
      if count == 0 { return false }
      if watchdog.consume(buffer[..<count]) { stop(.kvmInternalError, graceful: false) }
    }
  }

  /// poll's timeout for `deadline`, rounded up so the loop does not wake early.
  private static func milliseconds(
    until deadline: ContinuousClock.Instant, clock: ContinuousClock
  ) -> Int32 {
    let left = clock.now.duration(to: deadline)
    guard left > .zero else { return 0 }
    let (seconds, attoseconds) = left.components
    let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return Int32(clamping: milliseconds)
  }
}

/// `pidfd_open(2)` (Linux 5.3): Swift's Glibc module has no <sys/pidfd.h>, and
/// `syscall` is variadic, so CHermitSys makes the call.
enum PidFD {
  /// A descriptor that polls readable once `pid` exits, or nil where the kernel
  /// has none.
  static func open(_ pid: pid_t) -> Int32? {
    let fd = hermit_pidfd_open(pid)
    return fd >= 0 ? fd : nil
  }
}
