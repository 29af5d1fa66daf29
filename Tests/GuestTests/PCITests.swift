import Foundation
import HermitQEMU
import Testing

/// PCI machines: the kernel's bus scan (Tests/Guests/pcilist prints it) and the
/// RTL8139 driver, on QEMU's `pc` (configuration ports) and `q35` (ECAM), with
/// SeaBIOS (QEMU's default) and qboot (the runtime's firmware, which assigns no
/// BARs and writes off-by-one INTx lines).
@Suite(.serialized) struct PCITests {
  /// `pcilist` on a machine with an RTL8139, its lines.
  func pciList(on machine: GuestBoot.PCMachine) throws -> GuestRun {
    try GuestBoot.boot(
      "pcilist", network: .user(ports: []), nic: .rtl8139, machine: machine, timeout: 60)
  }

  @Test(arguments: [GuestBoot.PCMachine.pcSeaBIOS, .pcQboot])
  func scanOfPCFindsTheHostBridgeTheISABridgeAndTheNICWithItsBARs(
    machine: GuestBoot.PCMachine
  ) throws {
    let run = try pciList(on: machine)
    #expect(run.status == .exited(0), "\(run.output)")
    let lines = run.lines
    #expect(lines.contains("access ports"), "\(run.output)")
    #expect(lines.contains { $0.hasPrefix("00:00.0 8086:1237 class 06.00 ") }, "\(run.output)")
    #expect(lines.contains { $0.hasPrefix("00:01.0 8086:7000 class 06.01 ") }, "\(run.output)")
    // INTA# of slot 2 arrives on PIRQB, which both firmwares route to IRQ 10.
    let nic = try #require(
      lines.firstIndex { $0.hasPrefix("00:02.0 10ec:8139 class 02.00 irq 10 ") }, "\(run.output)")
    #expect(lines[nic + 1].hasPrefix("  bar0 io size 0x100 at 0x"), "\(run.output)")
    #expect(lines[nic + 2].hasPrefix("  bar1 mem32 size 0x100 at 0x"), "\(run.output)")
    // Assigned: by the firmware, or by the kernel where qboot left them 0.
    #expect(!lines[nic + 1].hasSuffix(" at 0x0") && !lines[nic + 2].hasSuffix(" at 0x0"))
  }

  @Test(arguments: [GuestBoot.PCMachine.q35SeaBIOS, .q35Qboot])
  func scanOfQ35GoesThroughECAM(machine: GuestBoot.PCMachine) throws {
    let run = try pciList(on: machine)
    #expect(run.status == .exited(0), "\(run.output)")
    let lines = run.lines
    #expect(lines.contains("access ecam"), "\(run.output)")
    #expect(lines.contains { $0.hasPrefix("00:00.0 8086:29c0 class 06.00 ") }, "\(run.output)")
    #expect(lines.contains { $0.hasPrefix("00:1f.0 8086:2918 class 06.01 ") }, "\(run.output)")
    let nic = try #require(
      lines.firstIndex { $0.contains(" 10ec:8139 class 02.00 ") }, "\(run.output)")
    #expect(lines[nic + 2].hasPrefix("  bar1 mem32 size 0x100 at 0x"), "\(run.output)")
  }

  static let virtioNetPCI = "virtio-net-pci,netdev=net0,romfile="

  @Test(arguments: [
    GuestBoot.PCMachine(type: "q35", firmware: nil, nicDevice: virtioNetPCI),
    GuestBoot.PCMachine(type: "q35", firmware: GuestBoot.PCMachine.qboot, nicDevice: virtioNetPCI),
  ])
  func scanSizes64BitBARsAndListsMSIX(machine: GuestBoot.PCMachine) throws {
    let run = try pciList(on: machine)
    #expect(run.status == .exited(0), "\(run.output)")
    let lines = run.lines
    // virtio-net-pci: vendor capabilities (0x09) and MSI-X (0x11) with 4 entries;
    // BAR4 is a 64-bit prefetchable 16 KiB window (assigned by us under qboot).
    let nic = try #require(
      lines.firstIndex { $0.contains(" 1af4:1000 class 02.00 ") }, "\(run.output)")
    #expect(lines[nic].contains(" caps 11,09"), "\(run.output)")
    #expect(lines[nic].hasSuffix(" msix 4"), "\(run.output)")
    let bar4 = lines[(nic + 1)...].prefix { $0.hasPrefix("  bar") }.first {
      $0.hasPrefix("  bar4 ")
    }
    #expect(bar4?.hasPrefix("  bar4 mem64 size 0x4000 at 0x") == true, "\(run.output)")
    #expect(bar4?.hasSuffix(" prefetchable") == true)
    #expect(bar4?.contains(" at 0x0 ") == false)
  }

  @Test(arguments: [GuestBoot.PCMachine.pcSeaBIOS, .pcQboot, .q35SeaBIOS])
  func rtl8139GetsDHCPOverUserNetworkingAndInterrupts(machine: GuestBoot.PCMachine) throws {
    let run = try GuestBoot.boot(
      "netconfig", append: "-- 0", network: .user(ports: []), nic: .rtl8139, machine: machine)
    try run.expectSlirpDHCPAndInterrupts(from: "rtl8139")
  }

  /// The runtime's `--nic virtio-pci` device (modern only).
  static let modernVirtioNetPCI = "virtio-net-pci,disable-legacy=on,netdev=net0,romfile="
  /// Without its MSI-X capability (`vectors=0`): INTx, acknowledged by reading the ISR.
  static let virtioNetPCIINTx = "virtio-net-pci,disable-legacy=on,vectors=0,netdev=net0,romfile="
  static let microvmPCIe = GuestBoot.PCMachine(
    type: "microvm,pcie=on", firmware: nil, nicDevice: modernVirtioNetPCI)

  /// virtio-net over the PCI transport: behind microvm's PCIe host bridge (the
  /// runtime's `--nic virtio-pci`), on `pc` with qboot and SeaBIOS, with INTx,
  /// on q35 through ECAM, and as a transitional device (ID 1000, legacy I/O BAR
  /// beside the modern structures).
  @Test(arguments: [
    microvmPCIe,
    GuestBoot.PCMachine(
      type: "pc", firmware: GuestBoot.PCMachine.qboot, nicDevice: modernVirtioNetPCI),
    GuestBoot.PCMachine(type: "pc", firmware: nil, nicDevice: modernVirtioNetPCI),
    GuestBoot.PCMachine(
      type: "pc", firmware: GuestBoot.PCMachine.qboot, nicDevice: virtioNetPCIINTx),
    GuestBoot.PCMachine(type: "q35", firmware: GuestBoot.PCMachine.qboot, nicDevice: virtioNetPCI),
  ])
  func virtioNetOverPCIGetsDHCPAndInterrupts(machine: GuestBoot.PCMachine) throws {
    // The test's -device replaces the runtime's rtl8139 (GuestBoot.PCMachine).
    let run = try GuestBoot.boot(
      "netconfig", append: "-- 0", network: .user(ports: []), nic: .rtl8139, machine: machine)
    try run.expectSlirpDHCPAndInterrupts(from: "virtio-net")
  }

  /// microvm with `pcie=on` has no MCFG (QEMU 7.2 describes its ECAM in the DSDT
  /// only) and no firmware that assigns BARs: the kernel finds the ECAM by the
  /// host bridge's ID and assigns BARs from the bridge's 32-bit window.
  @Test func scanOfMicrovmPCIeGoesThroughItsECAMWithoutAnMCFG() throws {
    let run = try pciList(on: Self.microvmPCIe)
    #expect(run.status == .exited(0), "\(run.output)")
    let lines = run.lines
    #expect(lines.contains("access ecam"), "\(run.output)")
    #expect(lines.contains { $0.hasPrefix("00:00.0 1b36:0008 class 06.00 ") }, "\(run.output)")
    let nic = try #require(
      lines.firstIndex { $0.contains(" 1af4:1041 class 02.00 ") }, "\(run.output)")
    #expect(lines[nic].hasSuffix(" msix 4"), "\(run.output)")
    #expect(lines[nic + 1] == "  bar1 mem32 size 0x1000 at 0xc0000000", "\(run.output)")
    #expect(lines[nic + 2] == "  bar4 mem64 size 0x4000 at 0xc0004000 prefetchable")
  }
}

/// MSI-X through the kernel's PCI code: Tests/Guests/msix has QEMU's e1000e
/// (q35) raise a cause by software, which its MSI-X entry 0 delivers.
@Suite(.serialized) struct MSIXTests {
  static let e1000e = "e1000e,netdev=net0,romfile="

  @Test(arguments: [
    GuestBoot.PCMachine(type: "q35", firmware: nil, nicDevice: e1000e),
    GuestBoot.PCMachine(type: "q35", firmware: GuestBoot.PCMachine.qboot, nicDevice: e1000e),
  ])
  func e1000eInterruptArrivesThroughMSIX(machine: GuestBoot.PCMachine) throws {
    let run = try GuestBoot.boot(
      "msix", network: .user(ports: []), nic: .rtl8139, machine: machine, timeout: 60)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.lines.contains("route msix"), "\(run.output)")
    #expect(run.lines.contains("msix interrupts 1"), "\(run.output)")
    #expect(run.lines.contains("[0][INFO] [0][e1000e]: 1"), "\(run.output)")
  }
}
