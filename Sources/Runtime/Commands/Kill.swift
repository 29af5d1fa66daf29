import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime kill ID [SIGNAL]` (OCI, default SIGTERM) and `kill [-s SIG]
/// NAME` (docker, default SIGKILL). Signals by name (`TERM`, `SIGTERM`) or number.
struct Kill: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kill", abstract: "Send a signal to a container.")

  @OptionGroup var global: GlobalOptions

  @Option(name: [.customShort("s"), .long], help: "Signal (name or number).")
  var signal: String?

  @Flag(
    name: .shortAndLong,
    help: "Signal all of the container's processes (runc); a stopped container is then no error.")
  var all = false

  @Argument var id: String

  @Argument(help: "Signal (OCI form).")
  var positionalSignal: String?

  func run() throws {
    try RuncDelegate.forward(id, global)
    let (store, record) = try ContainerStore.locate(id, global)
    let name = signal ?? positionalSignal ?? (record.kind == .oci ? "TERM" : "KILL")
    guard let number = SignalName.parse(name) else {
      throw RuntimeError.invalidArgument("unknown signal \(name)")
    }
    guard let pid = record.pid, record.status == .running || record.status == .created else {
      try alreadyStopped()
      return
    }
    guard Glibc.kill(pid, number) == 0 else {
      if errno == ESRCH {
        try alreadyStopped()
        return
      }
      throw RuntimeError.io(path: "kill \(pid)", reason: String(cString: strerror(errno)))
    }
    if number == SIGKILL {
      _ = ProcessIdentity.waitGone(pid, startTime: record.pidStartTime, timeout: .seconds(5))
      try Stop.markKilledIfSilent(id, in: store, signal: SIGKILL)
    }
  }

  /// A signal for a container whose process has already exited, answered as runc
  /// 1.1 does: `kill --all` succeeds (runc signals every process left in the
  /// container's cgroup, and there are none), a plain `kill` fails with "container
  /// not running", the words containerd's shim maps to "process already finished"
  /// (`checkKillError`), so it reports the task's exit instead of "unknown error
  /// after kill". The exit status stays 125, our status for every error.
  func alreadyStopped() throws {
    guard !all else { return }
    throw RuntimeError.notRunning(id)
  }
}
