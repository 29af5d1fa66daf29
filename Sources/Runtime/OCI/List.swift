import ArgumentParser
import Foundation

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
    let records = ContainerStore.forOCI(global).all()
    if quiet {
      records.forEach { print($0.id) }
    } else if format == "json" {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(records.map(State.state(of:))), as: UTF8.self))
    } else {
      var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED"]]
      for record in records {
        let state = State.state(of: record)
        rows.append([
          record.id, String(state.pid ?? 0), state.status, record.bundle,
          ISO8601DateFormatter().string(from: record.created),
        ])
      }
      print(Table.render(rows))
    }
  }
}
