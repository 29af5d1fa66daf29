import ArgumentParser
import FoundationEssentials
import HermitQEMU

/// `hermit-runtime inspect NAME...`: the state record as JSON, with the live status
/// and the QEMU command line.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect", abstract: "Show a container's details as JSON.")

  @OptionGroup var global: GlobalOptions

  @Argument var names: [String]

  struct Details: Encodable {
    var record: ContainerRecord
    var status: String
    var qemu: [String]
    /// How QEMU is (or was) confined; null before it first started.
    var confinement: ConfinementReport?
  }

  func run() throws {
    var details: [Details] = []
    for name in names {
      let (_, record) = try ContainerStore.locate(name, global)
      let command = QEMUCommand(
        record.vm, executable: VMRunner.qemu, pcFirmware: VMRunner.pcFirmware)
      details.append(
        Details(
          record: record, status: record.status.rawValue, qemu: command.argv,
          confinement: record.confinement))
    }
    let data = try ContainerStore.encoder.encode(details)
    print(String(decoding: data, as: UTF8.self))
  }
}
