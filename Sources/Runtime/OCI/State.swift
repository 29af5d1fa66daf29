import ArgumentParser
import FoundationEssentials

/// OCI `state ID`: the runtime-spec state JSON (schema/state-schema.json).
struct State: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state", abstract: "OCI: print a container's state as JSON.")

  @OptionGroup var global: GlobalOptions

  @Argument var id: String

  /// runtime-spec runtime.md "State".
  struct OCIState: Codable, Equatable {
    var ociVersion: String
    var id: String
    var status: String
    var pid: Int32?
    var bundle: String
    var annotations: [String: String]?
  }

  static func state(of record: ContainerRecord) -> OCIState {
    let status = record.status
    // pid is required for created and running, and must not be reported for a
    // process that is gone.
    let pid = (status == .created || status == .running) ? record.pid : nil
    return OCIState(
      ociVersion: HermitRuntime.ociVersion, id: record.id, status: status.rawValue, pid: pid ?? 0,
      bundle: record.bundle, annotations: record.annotations.isEmpty ? nil : record.annotations)
  }

  func run() throws {
    try RuncDelegate.forward(id, global)
    let (_, record) = try ContainerStore.locate(id, global)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(Self.state(of: record)), as: UTF8.self))
  }
}
