import BootFormat
import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs one QEMU to completion and says how the guest ended.
///
/// - QEMU is forked by the calling thread with a parent-death signal (ChildProcess):
///   call `run` on a thread that lives as long as the VM (the main thread).
/// - SIGINT, SIGTERM and SIGHUP to the runtime stop the VM (SIGTERM to QEMU, then
///   SIGKILL after `stopGrace`); the outcome then reports the signal (exit 128+N).
/// - A watchdog reads QEMU's stderr: `KVM internal error` means QEMU will hang
///   (PLATFORM.md), so QEMU is killed at once and the outcome says why.
/// - An optional timeout kills a QEMU that runs too long.
public final class Supervisor: @unchecked Sendable {
  /// Options for one run.
  public struct Options: Sendable {
    /// Kill QEMU after this long; nil waits forever.
    public var timeout: Duration?
    /// Stop the VM on SIGINT/SIGTERM/SIGHUP to this process.
    public var handleSignals = true
    /// After asking QEMU to stop, wait this long before SIGKILL.
    public var stopGrace: Duration = .seconds(2)
    /// Where the guest console (QEMU's stdout) goes.
    public var console: ChildProcess.Stdio = .inherit
    /// Where QEMU's stderr lines are forwarded (after the watchdog saw them); -1 drops them.
    public var errorOutput: Int32 = 2
    /// Run QEMU in this network namespace (path), e.g. an OCI bundle's.
    public var networkNamespace: String?
    /// Called with QEMU's pid once it runs.
    public var onStart: (@Sendable (pid_t) -> Void)?
    public init() {}
  }

  /// Why the supervisor stopped QEMU itself.
  public enum StopCause: Equatable, Sendable {
    /// A signal to the runtime (Ctrl-C, `stop`, `kill`).
    case signal(Int32)
    /// `Options.timeout` elapsed.
    case timeout
    /// KVM reported an internal error (the guest used an instruction it cannot run).
    case kvmInternalError
  }

  /// How QEMU's process ended.
  public enum Termination: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)
  }

  /// The result of `run`.
  public struct Outcome: Equatable, Sendable {
    public var pid: pid_t
    public var termination: Termination
    public var cause: StopCause?
    /// How the guest ended, when QEMU exited on its own.
    public var guest: GuestStatus?
    /// The last lines QEMU wrote to stderr.
    public var stderrTail: [String]

    /// The exit code `hermit-runtime` reports for this outcome.
    ///
    /// The app's code exactly when it exited; 128+N when a signal N stopped it;
    /// 134 for a guest panic (like SIGABRT), 139 for a reset without status (like
    /// SIGSEGV), 124 for a timeout, 125 (runtime error) when QEMU itself failed or
    /// KVM cannot run the guest.
    public var exitCode: Int32 {
      switch cause {
      case .signal(let signal): return 128 + signal
      case .timeout: return 124
      case .kvmInternalError: return 125
      case nil: break
      }
      switch guest {
      case .exited(let code): return Int32(code)
      case .panicked: return 134
      case .reset: return 139
      case .crashed, nil:
        if case .signaled(let signal) = termination { return 128 + signal }
        return 125
      }
    }

    /// QEMU's stderr line that `failureMessage` quotes, if any.
    var quotedStderrLine: String? {
      guard cause == nil else { return nil }
      switch guest {
      case .crashed, nil: return stderrTail.last(where: { !$0.isEmpty })
      default: return nil
      }
    }

    /// One line for the user when the outcome is not a plain exit of the app.
    public var failureMessage: String? {
      switch cause {
      case .signal: return nil
      case .timeout: return "the VM did not finish in time and was killed"
      case .kvmInternalError:
        return "KVM cannot run this guest (KVM internal error: this host's KVM fails on SSE);"
          + " QEMU was killed; use --accel tcg"
      case nil: break
      }
      switch guest {
      case .exited: return nil
      case .panicked: return "the guest panicked (see its console output above)"
      case .reset: return "the guest reset (triple fault) without reporting an exit status"
      case .crashed, nil:
        let detail = stderrTail.last(where: { !$0.isEmpty }).map { ": \($0)" } ?? ""
        switch termination {
        case .signaled(let signal):
          return "QEMU was killed by signal \(signal)\(detail)"
        case .exited(let status):
          return "QEMU exited with status \(status)\(detail)"
        }
      }
    }
  }

  private let lock = NSLock()
  private var pid: pid_t = 0
  private var exited = false
  private var cause: StopCause?
  /// A stop asked for before QEMU's pid was known (Ctrl-C while it starts):
  /// `started` carries it out.
  /// (true: graceful).
  private var pendingStop: Bool?
  private let grace: Duration

  init(grace: Duration) { self.grace = grace }

  /// Boots `command` and waits for it.
  /// - Parameters:
  ///   - command: the QEMU command (see QEMUCommand).
  ///   - statusFile: the debugcon status file named in the command.
  public static func run(
    _ command: QEMUCommand, statusFile: String, options: Options = Options()
  ) throws(HermitQEMUError) -> Outcome {
    guard let path = ChildProcess.resolveExecutable(command.executable) else {
      throw .qemuNotFound(command.executable)
    }
    // A stale record from an earlier boot must not be decoded as this one's.
    unlink(statusFile)
    let supervisor = Supervisor(grace: options.stopGrace)
    let stderrPipe = try ChildProcess.makePipe()
    if options.handleSignals { SignalRelay.shared.activate(supervisor) }
    defer { if options.handleSignals { SignalRelay.shared.deactivate() } }

    var childOptions = ChildProcess.Options()
    childOptions.stdin = .null
    childOptions.stdout = options.console
    childOptions.stderr = .fd(stderrPipe.write)
    childOptions.networkNamespace = options.networkNamespace
    let pid: pid_t
    do {
      pid = try ChildProcess.spawn(path: path, argv: command.argv, options: childOptions)
    } catch {
      close(stderrPipe.read)
      close(stderrPipe.write)
      throw error
    }
    close(stderrPipe.write)
    supervisor.started(pid)
    options.onStart?(pid)

    let watchdog = StderrWatchdog(fd: stderrPipe.read, forwardTo: options.errorOutput) {
      supervisor.stop(.kvmInternalError, graceful: false)
    }
    let watchdogDone = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      watchdog.run()
      watchdogDone.signal()
    }
    if let timeout = options.timeout {
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval) {
        supervisor.stop(.timeout, graceful: false)
      }
    }

    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { break }
    }
    supervisor.finished()
    watchdogDone.wait()
    close(stderrPipe.read)

    let termination: Termination =
      (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    let cause = supervisor.stopCause
    var guest: GuestStatus?
    if case .exited(let code) = termination {
      let record = (try? String(contentsOfFile: statusFile, encoding: .utf8)) ?? ""
      guest = GuestStatus.decode(record: record, qemuExitStatus: code)
    }
    let outcome = Outcome(
      pid: pid, termination: termination, cause: cause, guest: guest,
      stderrTail: watchdog.tail)
    watchdog.release(except: outcome.quotedStderrLine)
    return outcome
  }

  /// Records QEMU's pid; a stop asked for before it is carried out now.
  func started(_ pid: pid_t) {
    let pending = lock.withLock {
      self.pid = pid
      defer { pendingStop = nil }
      return pendingStop
    }
    if let pending { deliverStop(to: pid, graceful: pending) }
  }

  private func finished() {
    lock.withLock { exited = true }
  }

  var stopCause: StopCause? { lock.withLock { cause } }

  /// Stops the VM: SIGTERM (QEMU then exits at once, without the guest's help), and
  /// SIGKILL after the grace period; or SIGKILL at once when not graceful. Before
  /// QEMU's pid is known the stop waits for `started`; after QEMU exited it does nothing.
  func stop(_ reason: StopCause, graceful: Bool) {
    let target: pid_t? = lock.withLock {
      guard !exited else { return nil }
      if cause == nil { cause = reason }
      guard pid > 0 else {
        // Not graceful wins: a timeout during start must not wait for the grace.
        pendingStop = (pendingStop ?? true) && graceful
        return nil
      }
      return pid
    }
    guard let target else { return }
    deliverStop(to: target, graceful: graceful)
  }

  private func deliverStop(to target: pid_t, graceful: Bool) {
    kill(target, graceful ? SIGTERM : SIGKILL)
    if graceful {
      DispatchQueue.global().asyncAfter(deadline: .now() + grace.timeInterval) { [self] in
        let stillRunning = lock.withLock { !exited }
        if stillRunning { kill(target, SIGKILL) }
      }
    }
  }
}

extension Duration {
  /// Seconds as a TimeInterval, for Dispatch.
  var timeInterval: TimeInterval {
    let (seconds, attoseconds) = components
    return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
  }
}
