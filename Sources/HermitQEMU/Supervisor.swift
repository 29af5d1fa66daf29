import BootFormat
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// Runs one QEMU to completion and says how the guest ended.
///
/// - QEMU is forked by the calling thread with a parent-death signal (ChildProcess):
///   call `run` on a thread that lives as long as the VM (the main thread).
/// - One event loop on that thread (Supervisor+EventLoop) waits for QEMU's exit,
///   QEMU's stderr, signals and deadlines; nothing else touches the supervisor.
/// - SIGINT, SIGTERM and SIGHUP to the runtime stop the VM (SIGTERM to QEMU, then
///   SIGKILL after `stopGrace`); the outcome then reports the signal (exit 128+N).
///   A signal that arrives while QEMU starts stops it once it runs.
/// - A watchdog reads QEMU's stderr: `KVM internal error` means QEMU will hang
///   (PLATFORM.md), so QEMU is killed at once and the outcome says why.
/// - An optional timeout kills a QEMU that runs too long.
public final class Supervisor {
  /// Options for one run.
  public struct Options: Sendable {
    /// Kill QEMU after this long; nil waits forever.
    public var timeout: Duration?
    /// Stop the VM on SIGINT/SIGTERM/SIGHUP to this process.
    public var handleSignals = true
    /// After asking QEMU to stop, wait this long before SIGKILL.
    public var stopGrace: Duration = .seconds(2)
    /// How a signal to the runtime asks the guest to shut down when the app has a
    /// handler (`GuestStop`); nil stops QEMU at once.
    public var guestStop: GuestStop?
    /// After asking the guest, SIGKILL QEMU after this long; nil waits for the
    /// guest, a second signal (QEMU is stopped then) or a SIGKILL of the runtime
    /// (`stop -t N` and engines send one after their timeout).
    public var guestStopGrace: Duration?
    /// Where the guest console (QEMU's stdout) goes.
    public var console: ChildProcess.Stdio = .inherit
    /// Where QEMU's stderr lines are forwarded (after the watchdog saw them); -1 drops them.
    public var errorOutput: Int32 = 2
    /// Run QEMU in this network namespace (path), e.g. an OCI bundle's.
    public var networkNamespace: String?
    /// Attach QEMU to this tap device, passed as descriptor 3 (`VMConfiguration.tapDescriptor`).
    public var tapDevice: String?
    /// How QEMU is confined (cgroups, root, user); nil: not at all.
    public var confinement: Confinement?
    /// Called with QEMU's pid once it runs.
    public var onStart: (@Sendable (pid_t) -> Void)?
    /// Called every `interval` while QEMU runs, on the supervising thread (the
    /// runtime bounds the files QEMU writes: console log, status file).
    public var housekeeping: (interval: Duration, run: @Sendable () -> Void)?
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

    public init(
      pid: pid_t, termination: Termination, cause: StopCause?, guest: GuestStatus?,
      stderrTail: [String]
    ) {
      self.pid = pid
      self.termination = termination
      self.cause = cause
      self.guest = guest
      self.stderrTail = stderrTail
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

  private var pid: pid_t = 0
  /// QEMU was reaped: stops do nothing any more.
  var exited = false
  /// The first reason the supervisor stopped QEMU for.
  var cause: StopCause?
  /// A stop asked for before QEMU's pid was known (Ctrl-C while it starts):
  /// `started` carries it out (true: graceful).
  private var pendingStop: Bool?
  /// When a graceful stop turns into SIGKILL.
  var killDeadline: ContinuousClock.Instant?
  private let grace: Duration
  /// The guest was asked to shut down, for this reason; it becomes the cause if
  /// QEMU has to be stopped after all.
  var askedGuest: StopCause?
  private let guestStop: GuestStop?
  private let guestGrace: Duration?

  init(grace: Duration, guestStop: GuestStop? = nil, guestGrace: Duration? = nil) {
    self.grace = grace
    self.guestStop = guestStop
    self.guestGrace = guestGrace
  }

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
    // A confined QEMU cannot create it: it sees the file only through a bind
    // mount (which needs the file) and is no longer root.
    if let confinement = options.confinement { try confinement.createFile(statusFile) }
    let supervisor = Supervisor(
      grace: options.stopGrace, guestStop: options.guestStop, guestGrace: options.guestStopGrace)
    let stderrPipe = try ChildProcess.makePipe()
    // Before the fork: a signal from now on waits in the relay's pipe.
    let signals = options.handleSignals ? try SignalRelay.install() : nil
    defer { signals?.restore() }

    var childOptions = ChildProcess.Options()
    childOptions.stdin = .null
    childOptions.stdout = options.console
    childOptions.stderr = .fd(stderrPipe.write)
    childOptions.networkNamespace = options.networkNamespace
    childOptions.tapDevice = options.tapDevice
    childOptions.confinement = options.confinement
    // QEMU needs nothing from our environment (issue 13, item 5).
    childOptions.inheritsEnvironment = false
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

    var watchdog = StderrWatchdog(forwardTo: options.errorOutput)
    let status = supervisor.supervise(
      Watch(
        pid: pid, stderr: stderrPipe.read, signals: signals, timeout: options.timeout,
        housekeeping: options.housekeeping),
      watchdog: &watchdog)
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
    self.pid = pid
    if let pending = pendingStop { deliverStop(to: pid, graceful: pending) }
    pendingStop = nil
  }

  var stopCause: StopCause? { cause }

  /// Stops the VM: SIGTERM (QEMU then exits at once, without the guest's help), and
  /// SIGKILL after the grace period; or SIGKILL at once when not graceful. Before
  /// QEMU's pid is known the stop waits for `started`; after QEMU exited it does nothing.
  func stop(_ reason: StopCause, graceful: Bool) {
    guard !exited else { return }
    // The first graceful stop of a running guest with a handler asks the guest;
    // if it exits by itself, that is its own exit (no stop cause).
    if graceful, askedGuest == nil, pid > 0, let guestStop, guestStop.ask() {
      askedGuest = reason
      if let guestGrace { killDeadline = ContinuousClock.now + guestGrace }
      return
    }
    if cause == nil { cause = askedGuest ?? reason }
    guard pid > 0 else {
      // Not graceful wins: a timeout during start must not wait for the grace.
      pendingStop = (pendingStop ?? true) && graceful
      return
    }
    deliverStop(to: pid, graceful: graceful)
  }

  /// The event loop sends SIGKILL at `killDeadline` if QEMU is still there.
  private func deliverStop(to target: pid_t, graceful: Bool) {
    kill(target, graceful ? SIGTERM : SIGKILL)
    if graceful {
      let deadline = ContinuousClock.now + grace
      killDeadline = min(killDeadline ?? deadline, deadline)
    } else {
      killDeadline = nil
    }
  }
}
