import Testing

@testable import HermitQEMU

/// `--nic`: the virtio transports as explicit models beside `virtio` (the
/// default transport) and rtl8139, each with its machine and `-device`.
@Suite struct NICTransportTests {
  func arguments(_ nic: VMConfiguration.NIC) -> [String] {
    let configuration = VMConfiguration(
      name: "web", loader: "/l", app: "/a", commandLine: "", network: .user(ports: []), nic: nic,
      statusFile: "/s", macAddress: "52:54:00:00:00:01")
    return QEMUCommand(configuration, pcFirmware: "/qboot.rom").arguments
  }

  @Test(arguments: [
    ("virtio", "microvm", "virtio-net-device,netdev=net0,mac=52:54:00:00:00:01"),
    ("virtio-mmio", "microvm", "virtio-net-device,netdev=net0,mac=52:54:00:00:00:01"),
    (
      "virtio-pci", "microvm,pcie=on",
      "virtio-net-pci,disable-legacy=on,netdev=net0,romfile=,mac=52:54:00:00:00:01"
    ),
    ("rtl8139", "pc", "rtl8139,netdev=net0,romfile=,mac=52:54:00:00:00:01"),
  ])
  func eachNICValuePicksItsMachineAndDevice(name: String, machine: String, device: String) throws {
    let nic = try #require(VMConfiguration.NIC(rawValue: name))
    let a = arguments(nic)
    #expect(a[a.firstIndex(of: "-M")! + 1] == machine)
    #expect(a.contains(device), "\(a)")
    #expect(a.contains("-bios") == (machine == "pc"))
    // virtio-mmio stays legacy unless told otherwise; the kernel drives version 2 only.
    #expect(a.contains("virtio-mmio.force-legacy=false") == (machine == "microvm"))
  }

  @Test func virtioMeansTheDefaultTransport() {
    #expect(VMConfiguration.NIC.virtio.resolved == VMConfiguration.NIC.defaultVirtioTransport)
    #expect(VMConfiguration.NIC.virtioPCI.resolved == .virtioPCI)
  }
}
