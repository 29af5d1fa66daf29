import ArgumentParser
import FoundationEssentials
import HermitOCI

/// `hermit-runtime ps`: the docker-style table, or (with `--format json ID`) the
/// OCI runtime's process list that `ctr task ps` asks for.
struct PS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ps", abstract: "List containers (or, with --format json ID, a container's pids).")

  @OptionGroup var global: GlobalOptions

  @Flag(name: .shortAndLong, help: "Show stopped containers too.")
  var all = false

  @Option(help: "table or json.")
  var format: String = "table"

  @Argument(help: "Container ID (OCI form: list its processes).")
  var id: String?

  func run() throws {
    if let id {
      try RuncDelegate.forward(id, global)
      let (_, record) = try ContainerStore.locate(id, global)
      var pids: [Int32] = []
      if record.status == .running || record.status == .created, let pid = record.pid {
        pids.append(pid)
      }
      if let qemu = record.qemuPid, ProcessIdentity.isAlive(qemu, startTime: nil) {
        pids.append(qemu)
      }
      if format == "json" {
        print("[" + pids.map(String.init).joined(separator: ",") + "]")
      } else {
        print("PID")
        pids.forEach { print($0) }
      }
      return
    }
    let records = try ContainerStore.forRun(global).all().filter { all || $0.status != .stopped }
    if format == "json" {
      let data = try ContainerStore.encoder.encode(records.map(ContainerSummary.init))
      print(String(decoding: data, as: UTF8.self))
      return
    }
    var rows = [["NAME", "IMAGE", "STATUS", "PORTS", "CREATED"]]
    for record in records {
      let summary = ContainerSummary(record)
      rows.append([
        summary.name, summary.image, summary.statusText,
        summary.ports.joined(separator: ", "), Self.ago(record.created),
      ])
    }
    print(TextTable.render(rows))
  }

  /// `3 seconds ago`, `5 minutes ago`, ...
  static func ago(_ date: Date) -> String {
    let seconds = Int(Date().timeIntervalSince(date))
    switch seconds {
    case ..<60: return "\(max(seconds, 0)) seconds ago"
    case ..<3600: return "\(seconds / 60) minutes ago"
    case ..<86400: return "\(seconds / 3600) hours ago"
    default: return "\(seconds / 86400) days ago"
    }
  }
}

/// What `ps` shows about one container.
struct ContainerSummary: Codable {
  var name: String
  var image: String
  var status: String
  var statusText: String
  var ports: [String]
  var created: Date
  var exitCode: Int32?

  init(_ record: ContainerRecord) {
    name = record.id
    image = record.image
    let status = record.status
    self.status = status.rawValue
    switch status {
    case .running:
      statusText =
        "Up " + PS.ago(record.started ?? record.created).split(separator: " ago").joined()
    case .stopped:
      statusText = "Exited (\(record.exitCode.map(String.init) ?? "killed"))"
    case .created, .creating:
      statusText = "Created"
    }
    ports = record.vm.ports.map(\.description)
    created = record.created
    exitCode = record.exitCode
  }
}
