import ArgumentParser
import FoundationEssentials
import HermitOCI

/// OCI `list`: the containers under the root, like `runc list`.
struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "OCI: list containers.")

  @OptionGroup var global: GlobalOptions

  @Option(name: .shortAndLong, help: "table or json.")
  var format: String = "table"

  @Flag(name: .shortAndLong, help: "Only IDs.")
  var quiet = false

  func run() throws {
    let records = try ContainerStore.forOCI(global).all()
    // Linux containers handed to runc (RuncDelegate.swift) are listed after ours.
    let linux = RuncDelegate.states(global)
    if quiet {
      records.forEach { print($0.id) }
      linux.forEach { print($0.id) }
    } else if format == "json" {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      let states = records.map(State.state(of:)) + linux
      print(String(decoding: try encoder.encode(states), as: UTF8.self))
    } else {
      var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED"]]
      for record in records {
        let state = State.state(of: record)
        rows.append([
          record.id, String(state.pid ?? 0), state.status, record.bundle,
          RFC3339.string(record.created),
        ])
      }
      for state in linux {
        rows.append([state.id, String(state.pid ?? 0), state.status, state.bundle, "(runc)"])
      }
      print(TextTable.render(rows))
    }
  }
}
