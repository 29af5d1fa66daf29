#if canImport(Glibc)
  import Glibc
#endif

/// The write end of the self-pipe; a C signal handler cannot capture context.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// SIGINT, SIGTERM and SIGHUP as bytes on a pipe that the supervisor's event loop
/// polls (the self-pipe trick).
///
/// - The handler only writes the signal number to the pipe (async-signal-safe); the
///   loop reads it and stops the VM.
/// - Handlers are installed before QEMU is forked, so a signal that arrives while
///   QEMU starts waits in the pipe until the loop runs with QEMU's pid.
/// - A signalfd would need the signals blocked in every thread of the process
///   (Dispatch's and Foundation's threads included), or they kill the process.
/// - One pipe per process: one supervisor at a time relays signals (the runtime
///   runs one VM per process).
struct SignalRelay {
  static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  /// Both ends non-blocking: a full pipe drops a signal rather than blocking a
  /// handler, and draining stops at empty.
  private static let pipe: (read: Int32, write: Int32)? = {
    guard let fds = try? ChildProcess.makePipe() else { return nil }
    for fd in [fds.read, fds.write] {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    signalPipeWriteFD = fds.write
    return fds
  }()

  /// The descriptor to poll.
  let fd: Int32
  /// The dispositions `restore` puts back.
  private let previous: [sigaction]

  /// Routes the signals to the pipe until `restore`; a signal left over from an
  /// earlier run is discarded.
  static func install() throws(HermitQEMUError) -> SignalRelay {
    guard let pipe else { throw .system(call: "pipe", errno: errno) }
    _ = drain(pipe.read)
    var previous: [sigaction] = []
    for signal in signals {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { signo in
        let saved = errno
        var byte = UInt8(truncatingIfNeeded: signo)
        _ = write(signalPipeWriteFD, &byte, 1)
        errno = saved
      }
      action.sa_flags = SA_RESTART
      sigemptyset(&action.sa_mask)
      var old = sigaction()
      sigaction(signal, &action, &old)
      previous.append(old)
    }
    // A parent may have started us with these blocked (the mask is inherited).
    var unblock = sigset_t()
    sigemptyset(&unblock)
    for signal in signals { sigaddset(&unblock, signal) }
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    return SignalRelay(fd: pipe.read, previous: previous)
  }

  /// Puts back the dispositions found by `install`.
  func restore() {
    for (signal, old) in zip(Self.signals, previous) {
      var old = old
      sigaction(signal, &old, nil)
    }
  }

  /// The signals that arrived since the last call, in order.
  func drain() -> [Int32] { Self.drain(fd) }

  private static func drain(_ fd: Int32) -> [Int32] {
    var received: [Int32] = []
    var buffer = [UInt8](repeating: 0, count: 64)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0, errno == EINTR { continue }
      if count <= 0 { return received }
      received += buffer[..<count].map { Int32($0) }
    }
  }
}
