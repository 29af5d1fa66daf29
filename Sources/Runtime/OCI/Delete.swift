import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// OCI `delete [--force] ID`: remove a stopped container (`--force` kills it first).
struct Delete: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete", abstract: "OCI: delete a container.")

  @OptionGroup var global: GlobalOptions

  @Flag(name: .shortAndLong, help: "Kill the container if it is running.")
  var force = false

  @Argument var id: String

  func run() throws {
    if let status = RuncDelegate.delete(id, global) {
      guard status == 0 else { throw ExitCode(status) }
      return
    }
    let store: ContainerStore
    let record: ContainerRecord
    do {
      (store, record) = try ContainerStore.locate(id, global)
    } catch RuntimeError.containerNotFound where force {
      // runc semantics: forcing the delete of a container that is already gone
      // succeeds (containerd's shim deletes twice).
      return
    }
    let status = record.status
    if status == .running || status == .created {
      guard force else {
        throw RuntimeError.invalidState(
          id: id, status: status.rawValue, wanted: "stopped (use --force)")
      }
      // The record is removed next: what its last save says does not matter.
      try? Stop.stop(record, in: store, grace: .zero, signal: SIGKILL)
    }
    CgroupPlacement(record.cgroupsPath)?.remove()
    store.remove(id)
    record.hooks?.runWarning(.poststop, state: State.state(of: record))
  }
}
