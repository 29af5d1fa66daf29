// MSI-X (PCI Local Bus 3.0 §6.8.2): the function writes a message (an address
// and a data word the driver chose) to signal an interrupt, one table entry per
// vector. On x86 the message is an interrupt for a local APIC (SDM vol. 3
// §11.11): address 0xFEE00000 | destination APIC ID << 12, data = the vector
// (fixed delivery, edge).
import _Volatile

extension PCIFunction {
  // Capability registers (§6.8.2.1–§6.8.2.3).
  static let msixControl: UInt16 = 2  // Message Control, 16 bits (upper half of the first word)
  static let msixTable: UInt16 = 4  // Table Offset (31:3) / Table BIR (2:0)
  static let msixTableSizeMask: UInt16 = 0x7FF  // bits 10:0: table size - 1
  static let msixFunctionMask: UInt16 = 1 << 14
  static let msixEnable: UInt16 = 1 << 15
  // Table entries (§6.8.2.6–§6.8.2.9): 16 bytes each.
  static let msixEntrySize = 16
  static let msixEntryAddressLow = 0
  static let msixEntryAddressHigh = 4
  static let msixEntryData = 8
  static let msixEntryVectorControl = 12  // bit 0: masked
  static let msiAddressBase: UInt32 = 0xFEE0_0000  // SDM vol. 3 §11.11.1

  /// Routes MSI-X table entry 0 to a fresh vector on the boot core and calls
  /// `handler` for it; false if the function has no MSI-X, its table BAR is not
  /// a memory BAR, or no vector is free. INTx is off afterwards (§6.8.2:
  /// MSI-X enabled means the function "is prohibited from using its INTx# pin").
  func enableMSIX(name: StaticString, handler: @escaping () -> Void) -> Bool {
    guard let capability = capability(Self.capabilityMSIX) else { return false }
    let tableWord = read32(capability + Self.msixTable)
    guard let bar = bar(Int(tableWord & 7)), bar.kind != .io, bar.address != 0 else {
      return false
    }
    let table = bar.address + UInt64(tableWord & ~7)
    Memory.mapDevice(table, length: UInt64(Self.msixEntrySize))
    guard let vector = Interrupts.allocate(name: name, handler: handler) else { return false }
    // The table is in memory space; the message is a memory write the function
    // masters (§6.8: "a Message Signaled Interrupt is a ... DWORD memory write").
    enable(Self.commandMemorySpace | Self.commandBusMaster | Self.commandInterruptDisable)
    // "Software must not modify the Address or Data fields of an entry while it
    // is unmasked" (§6.8.2.9): enable with the whole function masked, program
    // entry 0, unmask it, then unmask the function.
    let control = read16(capability + Self.msixControl)
    writeMSIXControl(capability, control | Self.msixEnable | Self.msixFunctionMask)
    let entry = UnsafeMutableRawPointer(bitPattern: UInt(table))!
    let destination = ACPI.apicIDs.first ?? 0
    store(entry, Self.msixEntryVectorControl, 1)
    store(entry, Self.msixEntryAddressLow, Self.msiAddressBase | destination << 12)
    store(entry, Self.msixEntryAddressHigh, 0)
    store(entry, Self.msixEntryData, UInt32(vector))
    store(entry, Self.msixEntryVectorControl, 0)
    writeMSIXControl(capability, (control | Self.msixEnable) & ~Self.msixFunctionMask)
    return true
  }

  /// Table size (entries) of the MSI-X capability, 0 without one.
  var msixTableSize: Int {
    guard let capability = capability(Self.capabilityMSIX) else { return 0 }
    return Int(read16(capability + Self.msixControl) & Self.msixTableSizeMask) + 1
  }

  /// Message Control is the upper half of the capability's first word; the
  /// lower half (ID and next pointer) is read-only.
  private func writeMSIXControl(_ capability: UInt16, _ control: UInt16) {
    write32(capability, read32(capability) & 0xFFFF | UInt32(control) << 16)
  }

  private func store(_ entry: UnsafeMutableRawPointer, _ offset: Int, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(bitPattern: entry + offset)).store(value)
  }
}
