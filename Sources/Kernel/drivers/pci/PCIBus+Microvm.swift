// PCI Express on QEMU's microvm with `pcie=on` (hw/i386/microvm.c, QEMU 7.2):
// a generic host bridge (GPEX, 1b36:0008) whose ECAM is at 0xE0000000 (256
// buses), a 32-bit memory window at 0xC0000000–0xDFFFFFFF, no I/O ports (no
// 0xCF8/0xCFC) and no firmware that assigns BARs. QEMU describes all of it in
// the DSDT only (AML, which the kernel does not interpret): there is no MCFG.
// So on a microvm (virtio-mmio's magic at 0xFEB00000) the ECAM window is probed
// for the GPEX's ID before the scan, and BARs come from that window.
// Interrupts: MSI-X (the APIC's MSI window is there); INTx is not routed.
import _Volatile

extension PCIBus {
  static let microvmECAM: UInt64 = 0xE000_0000
  static let microvmMemoryWindow: ClosedRange<UInt64> = 0xC000_0000...0xDFFF_FFFF
  /// Vendor and device ID of QEMU's GPEX host bridge as one configuration word.
  static let gpexHostBridgeID: UInt32 = 0x0008_1B36

  /// Set when the scan found microvm's PCIe host bridge.
  nonisolated(unsafe) static var onMicrovmPCIe = false

  /// Switches configuration access to microvm's ECAM when there is no MCFG and
  /// the GPEX answers at bus 0, device 0.
  static func detectMicrovmPCIe() {
    guard ACPI.ecamBase == nil else { return }
    Memory.mapDevice(VirtioMMIO.microvmBase, length: VirtioMMIO.microvmStride)
    let magic = VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(VirtioMMIO.microvmBase))
    guard magic.load() == VirtioMMIO.magic else { return }  // not a microvm
    Memory.mapDevice(microvmECAM, length: PCIConfigSpace.busBytes)
    let id = VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(microvmECAM)).load()
    guard id == gpexHostBridgeID else { return }  // microvm without pcie=on
    ACPI.ecamBase = microvmECAM
    onMicrovmPCIe = true
  }
}
