import ArgumentParser
import FoundationEssentials
import HermitQEMU

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime __shim ID` (hidden): the process that owns a detached or OCI
/// container's VM.
///
/// It is the container's process: its pid is the one in `--pid-file` and `state`,
/// signals to it stop the VM (SIGTERM → the guest asked to shut down if its app has
/// a handler, else QEMU stopped, exit 143; SIGKILL → QEMU dies by its parent-death
/// signal), and its exit status is the container's exit code.
/// For OCI containers it first blocks on `exec.fifo` until `start` opens it, the way
/// runc's init does.
struct Shim: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "__shim", abstract: "Internal: supervise a container's VM.",
    shouldDisplay: false)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Wait for `start` on the container's exec.fifo.")
  var waitForStart = false

  @Option(help: "Tell the launcher how start-up goes on this descriptor (StartReport).")
  var reportFD: Int32?

  @Argument var id: String

  func run() throws {
    let report = reportFD.map(StartReport.Sender.init(fd:))
    do {
      try supervise(report: report)
    } catch let error as ExitCode {
      throw error
    } catch {
      report?.failed("hermit-runtime: error: \(RuntimeError.wrap(error))")
      throw error
    }
  }

  /// Boots the container's VM and waits for its end.
  private func supervise(report: StartReport.Sender?) throws {
    let store = ContainerStore(root: URL(fileURLWithPath: global.root ?? "/"))
    var record = try store.load(id)
    if waitForStart {
      // Blocks until `start` opens the fifo for reading.
      let fd = open(store.file(id, "exec.fifo").path, O_WRONLY | O_CLOEXEC)
      guard fd >= 0 else { throw ExitCode(125) }
      var byte: UInt8 = 0
      _ = write(fd, &byte, 1)
      close(fd)
    }
    try store.update(id) {
      $0.pid = getpid()
      $0.pidStartTime = ProcessIdentity.startTime(getpid())
      $0.started = Date()
    }
    record = (try? store.load(id)) ?? record
    // A tap that `run -d --net tap` created for this container goes with it.
    // Only the record's own field says so: annotations come from bundles and
    // are never acted on.
    let tap = record.createdTap.map {
      TapDevice(name: $0, bridge: TapDevice.defaultBridge)
    }
    defer { tap?.remove() }
    do {
      var onStart: (@Sendable (pid_t) -> Void)?
      if let report { onStart = { report.started(qemu: $0) } }
      let ending = try VMRunner.run(record, in: store, onStart: onStart)
      // What a foreground `run` would have printed for a failure of its own.
      if ending.exitCode == 125, let failure = ending.failure {
        report?.failed("hermit-runtime: \(failure)")
      }
      throw ExitCode(ending.exitCode)
    } catch let error as ExitCode {
      throw error
    } catch {
      // Nobody reads this process's stderr for sure: the record carries the error.
      let message = RuntimeError.wrap(error).description
      try store.update(id) {
        $0.exitCode = 125
        $0.finished = Date()
        $0.failure = message
      }
      throw error
    }
  }

  /// Starts the shim for `id` as a new session, detached from the caller's terminal.
  /// - Parameters:
  ///   - logPath: console output file (`run -d`); nil keeps the caller's stdio (OCI:
  ///     conmon's pipes become the container's output).
  ///   - waitForStart: hold the VM back until `start`.
  ///   - stdio: a terminal for stdout and stderr (OCI `--console-socket`).
  ///   - report: the write end of a pipe for the shim's StartReport (`run -d`).
  /// - Returns: the shim's pid.
  @discardableResult
  static func launch(
    id: String, store: ContainerStore, logPath: String?, waitForStart: Bool = false,
    stdio: Int32? = nil, report: Int32? = nil
  ) throws -> Int32 {
    let executable =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var argv = [executable, "__shim", "--root", store.root.path]
    if waitForStart { argv.append("--wait-for-start") }
    var options = ChildProcess.Options()
    if let report {
      // The shim's descriptor 3.
      options.passDescriptors = [report]
      argv += ["--report-fd", "3"]
    }
    argv.append(id)
    options.dieWithParent = false
    options.newSession = true
    options.stdin = .null
    var logFD: Int32 = -1
    if let logPath {
      logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
      guard logFD >= 0 else {
        throw RuntimeError.io(path: logPath, reason: String(cString: strerror(errno)))
      }
      options.stdout = .fd(logFD)
      options.stderr = .fd(logFD)
    }
    defer { if logFD >= 0 { close(logFD) } }
    if let stdio {
      options.stdout = .fd(stdio)
      options.stderr = .fd(stdio)
    }
    let pid = try ChildProcess.spawn(path: executable, argv: argv, options: options)
    try store.update(id) {
      $0.pid = pid
      $0.pidStartTime = ProcessIdentity.startTime(pid)
    }
    return pid
  }
}
