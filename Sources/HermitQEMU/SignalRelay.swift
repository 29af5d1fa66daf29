import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The write end of the self-pipe; a C signal handler cannot capture context.
nonisolated(unsafe) private var relayWriteFD: Int32 = -1

/// Turns SIGINT, SIGTERM and SIGHUP into calls to the active Supervisor's `stop`.
///
/// The handler only writes the signal number to a pipe (async-signal-safe); a
/// thread reads the pipe and does the work.
final class SignalRelay: @unchecked Sendable {
  static let shared = SignalRelay()
  static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  private let lock = NSLock()
  private var active: Supervisor?
  private var readFD: Int32 = -1
  private var started = false

  /// Routes signals to `supervisor` until `deactivate`.
  func activate(_ supervisor: Supervisor) {
    lock.withLock {
      active = supervisor
      if !started {
        started = true
        if let fds = try? ChildProcess.makePipe() {
          readFD = fds.read
          relayWriteFD = fds.write
        }
        let reader = readFD
        Thread.detachNewThread { [self] in
          var byte: UInt8 = 0
          while true {
            let count = read(reader, &byte, 1)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return }
            let target = lock.withLock { active }
            target?.stop(.signal(Int32(byte)), graceful: true)
          }
        }
      }
    }
    for signal in Self.signals {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { signo in
        var byte = UInt8(truncatingIfNeeded: signo)
        _ = write(relayWriteFD, &byte, 1)
      }
      action.sa_flags = SA_RESTART
      sigemptyset(&action.sa_mask)
      sigaction(signal, &action, nil)
    }
    // A parent may have started us with these blocked (the mask is inherited).
    var unblock = sigset_t()
    sigemptyset(&unblock)
    for signal in Self.signals { sigaddset(&unblock, signal) }
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
  }

  /// Restores the default dispositions.
  func deactivate() {
    for signal in Self.signals { _ = Glibc.signal(signal, SIG_DFL) }
    lock.withLock { active = nil }
  }
}
