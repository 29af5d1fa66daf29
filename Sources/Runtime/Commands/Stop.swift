import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime stop [-t SECS] NAME...`: SIGTERM (the owner asks a guest with a
/// shutdown handler to shut down, `GuestStop`, or else stops QEMU and exits 143),
/// then SIGKILL after the timeout (QEMU dies with its owner).
struct Stop: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stop", abstract: "Stop running containers.")

  @OptionGroup var global: GlobalOptions

  @Option(name: [.customShort("t"), .customLong("time")], help: "Seconds to wait before killing.")
  var time: Int = 10

  @Argument var names: [String]

  func run() throws {
    for name in names {
      let (store, record) = try ContainerStore.locate(name, global)
      try Self.stop(record, in: store, grace: .seconds(time))
      print(name)
    }
  }

  /// Stops `record`'s owner: `signal` first, SIGKILL after `grace`. Records exit
  /// 137 if the owner had to be killed and could not record anything itself.
  static func stop(
    _ record: ContainerRecord, in store: ContainerStore, grace: Duration, signal: Int32 = SIGTERM
  ) throws {
    guard let pid = record.pid, record.status == .running || record.status == .created else {
      return
    }
    kill(pid, signal)
    if !ProcessIdentity.waitGone(pid, startTime: record.pidStartTime, timeout: grace) {
      kill(pid, SIGKILL)
      _ = ProcessIdentity.waitGone(pid, startTime: record.pidStartTime, timeout: .seconds(5))
    }
    try markKilledIfSilent(record.id, in: store, signal: SIGKILL)
  }

  /// An owner killed by SIGKILL records nothing: note the conventional 128+N.
  static func markKilledIfSilent(_ id: String, in store: ContainerStore, signal: Int32) throws {
    try store.update(id) { record in
      guard record.exitCode == nil, let pid = record.pid,
        !ProcessIdentity.isAlive(pid, startTime: record.pidStartTime)
      else { return }
      record.exitCode = 128 + signal
      record.finished = Date()
    }
  }
}
