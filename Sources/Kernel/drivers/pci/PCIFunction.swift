// One PCI function: where it sits (bus, device, function) and its
// configuration header (PCI Local Bus 3.0 §6.1, Figure 6-1, type 00h/01h).
//
// Configuration space goes through the arch's PCIConfigSpace (ports or ECAM).
// BARs, capabilities, MSI-X and the INTx line are in PCIFunction+*.swift.

struct PCIFunction {
  // Header registers (§6.2, Figure 6-1).
  static let vendorID: UInt16 = 0x00  // 16 bits; 0xFFFF: no function here
  static let deviceID: UInt16 = 0x02
  static let command: UInt16 = 0x04  // 16 bits, see the bits below
  static let status: UInt16 = 0x06  // 16 bits
  static let revisionClass: UInt16 = 0x08  // revision (7:0), prog IF, subclass, class (31:24)
  static let headerType: UInt16 = 0x0E  // bits 6:0 layout (0 device, 1 bridge), bit 7 multi-function
  static let firstBAR: UInt16 = 0x10  // six 32-bit BARs in a type 0 header, two in type 1
  static let secondaryBus: UInt16 = 0x19  // type 1 (bridge): the bus behind it
  static let capabilitiesPointer: UInt16 = 0x34  // valid when status bit 4 is set
  static let interruptLine: UInt16 = 0x3C  // 8 bits: what the firmware routed INTx to (0xFF: none)
  static let interruptPin: UInt16 = 0x3D  // 8 bits: 0 none, 1–4 INTA#–INTD#
  // Command register bits (§6.2.2, Figure 6-2).
  static let commandIOSpace: UInt16 = 1 << 0  // respond to I/O BARs
  static let commandMemorySpace: UInt16 = 1 << 1  // respond to memory BARs
  static let commandBusMaster: UInt16 = 1 << 2  // may DMA
  static let commandInterruptDisable: UInt16 = 1 << 10  // INTx# not asserted
  // Status register bits (§6.2.3, Figure 6-3).
  static let statusCapabilitiesList: UInt16 = 1 << 4  // a capability list at 0x34

  let bus: UInt8
  let device: UInt8
  let function: UInt8

  init(bus: UInt8, device: UInt8, function: UInt8) {
    self.bus = bus
    self.device = device
    self.function = function
  }

  /// From `packed`.
  init(packed: UInt32) {
    self.init(
      bus: UInt8(truncatingIfNeeded: packed >> 16), device: UInt8(truncatingIfNeeded: packed >> 8),
      function: UInt8(truncatingIfNeeded: packed))
  }

  /// Bus, device and function in one word (bits 23:16, 15:8, 7:0).
  var packed: UInt32 { UInt32(bus) << 16 | UInt32(device) << 8 | UInt32(function) }

  func read32(_ offset: UInt16) -> UInt32 {
    PCIConfigSpace.read(bus: bus, device: device, function: function, offset: offset & ~3)
  }

  func write32(_ offset: UInt16, _ value: UInt32) {
    PCIConfigSpace.write(bus: bus, device: device, function: function, offset: offset & ~3, value)
  }

  func read16(_ offset: UInt16) -> UInt16 {
    UInt16(truncatingIfNeeded: read32(offset) >> (UInt32(offset & 2) * 8))
  }

  func read8(_ offset: UInt16) -> UInt8 {
    UInt8(truncatingIfNeeded: read32(offset) >> (UInt32(offset & 3) * 8))
  }

  var vendor: UInt16 { read16(Self.vendorID) }
  var deviceIdentifier: UInt16 { read16(Self.deviceID) }
  var classCode: UInt8 { UInt8(truncatingIfNeeded: read32(Self.revisionClass) >> 24) }
  var subclass: UInt8 { UInt8(truncatingIfNeeded: read32(Self.revisionClass) >> 16) }
  var programmingInterface: UInt8 { UInt8(truncatingIfNeeded: read32(Self.revisionClass) >> 8) }
  var header: UInt8 { read8(Self.headerType) }
  var isBridge: Bool { header & 0x7F == 1 }
  var isMultiFunction: Bool { header & 0x80 != 0 }
  var statusBits: UInt16 { read16(Self.status) }
  var commandBits: UInt16 { read16(Self.command) }

  /// Sets `bits` in the command register (bus mastering, decoding, ...).
  func enable(_ bits: UInt16) {
    writeCommand(commandBits | bits)
  }

  /// Clears `bits` in the command register.
  func disable(_ bits: UInt16) {
    writeCommand(commandBits & ~bits)
  }

  /// The command register shares its word with status, whose error bits are
  /// RW1C (§6.2.3): write zeros there so that nothing is cleared by accident.
  private func writeCommand(_ value: UInt16) {
    write32(Self.command, UInt32(value))
  }
}
