import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime rm [-f] NAME...`: remove stopped containers (`-f` kills first).
struct Rm: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rm", abstract: "Remove containers.")

  @OptionGroup var global: GlobalOptions

  @Flag(name: .shortAndLong, help: "Kill running containers first.")
  var force = false

  @Argument var names: [String]

  func run() throws {
    let store = try ContainerStore.forRun(global)
    for name in names {
      let record = try store.load(name)
      let status = record.status
      if status == .running || status == .created {
        guard force else {
          throw RuntimeError.invalidState(
            id: name, status: status.rawValue, wanted: "stopped (use rm -f)")
        }
        // The record is removed next: what its last save says does not matter.
        try? Stop.stop(record, in: store, grace: .zero, signal: SIGKILL)
      }
      store.remove(name)
      print(name)
    }
  }
}
