// ACPI tables: where the I/O APICs are, how ISA IRQs map to GSIs, which APIC
// IDs the cores have, and where PCI configuration space is memory-mapped.
//
// Spec: ACPI 6.5 §5.2.5 (RSDP: "RSD PTR " on a 16-byte boundary in the first
// KiB of the EBDA or in 0xE0000–0xFFFFF), §5.2.7/§5.2.8 (RSDT/XSDT), §5.2.12
// (MADT, signature "APIC"), PCI Firmware 3.2 §4.1.2 (MCFG). QEMU's firmware
// (qboot on microvm, SeaBIOS on pc) copies QEMU's tables there.

enum ACPI {
  /// An ISA IRQ that arrives on another GSI (MADT type 2).
  struct Override {
    var source: UInt8
    var gsi: UInt32
    var activeLow: Bool
    var level: Bool
  }

  nonisolated(unsafe) static var overrides: [Override] = []
  /// APIC IDs of the enabled cores, in MADT order (the boot core first).
  nonisolated(unsafe) static var apicIDs: [UInt32] = []
  /// PCI Express ECAM base (MCFG, segment 0), if any.
  nonisolated(unsafe) static var ecamBase: UInt64? = nil
  nonisolated(unsafe) static var found = false
  nonisolated(unsafe) static var initialized = false

  /// Reads the MADT and MCFG. Without ACPI, the machine's defaults: one I/O APIC
  /// at 0xFEC00000, no overrides. Once: later calls return at once.
  static func initialize() {
    guard !initialized else { return }
    initialized = true
    if let rsdp = findRSDP() {
      found = true
      walk(rsdp)
    }
    if IOAPIC.controllers.isEmpty { IOAPIC.add(address: 0xFEC0_0000, gsiBase: 0) }
  }

  /// The GSI and mode for ISA IRQ `irq` (identity, edge, active high unless overridden).
  static func isaInterrupt(_ irq: UInt8) -> Override {
    overrides.first { $0.source == irq }
      ?? Override(source: irq, gsi: UInt32(irq), activeLow: false, level: false)
  }

  /// QEMU's firmware puts the RSDP in the BIOS area. The EBDA pointer lives in
  /// page 0, which is unmapped (null pointers fault), so the EBDA is not searched.
  private static func findRSDP() -> UInt64? { scan(0xE_0000, 0x10_0000) }

  private static func scan(_ start: UInt64, _ end: UInt64) -> UInt64? {
    var address = start
    while address < end {
      // "RSD PTR " as a little-endian 64-bit word.
      if UnsafePointer<UInt64>(bitPattern: UInt(address))!.pointee == 0x2052_5450_2044_5352,
        checksum(address, 20)
      {
        return address
      }
      address += 16
    }
    return nil
  }

  private static func checksum(_ address: UInt64, _ length: Int) -> Bool {
    let bytes = UnsafePointer<UInt8>(bitPattern: UInt(address))!
    var sum: UInt8 = 0
    for index in 0..<length { sum &+= bytes[index] }
    return sum == 0
  }

  private static func read<T>(_ address: UInt64, as type: T.Type) -> T {
    UnsafeRawPointer(bitPattern: UInt(address))!.loadUnaligned(as: T.self)
  }

  /// Follows the XSDT (revision ≥ 2) or the RSDT to the tables we read.
  private static func walk(_ rsdp: UInt64) {
    let revision = read(rsdp + 15, as: UInt8.self)
    let xsdt = revision >= 2 ? read(rsdp + 24, as: UInt64.self) : 0
    let root = xsdt != 0 ? xsdt : UInt64(read(rsdp + 16, as: UInt32.self))
    let entrySize: UInt64 = xsdt != 0 ? 8 : 4
    guard root != 0, root < Memory.mappedEnd else { return }
    let length = UInt64(read(root + 4, as: UInt32.self))
    var entry = root + 36  // after the common header
    while entry + entrySize <= root + length {
      let table =
        entrySize == 8 ? read(entry, as: UInt64.self) : UInt64(read(entry, as: UInt32.self))
      entry += entrySize
      guard table != 0, table < Memory.mappedEnd else { continue }
      switch read(table, as: UInt32.self) {
      case 0x4349_5041: readMADT(table)  // "APIC"
      case 0x4746_434D: readMCFG(table)  // "MCFG"
      default: break
      }
    }
  }

  /// MADT: header (36 bytes), local APIC address (4), flags (4), then entries of
  /// (type, length, ...) (ACPI 6.5 §5.2.12, Table 5.21).
  private static func readMADT(_ table: UInt64) {
    let end = table + UInt64(read(table + 4, as: UInt32.self))
    var entry = table + 44
    while entry + 2 <= end {
      let type = read(entry, as: UInt8.self)
      let length = UInt64(read(entry + 1, as: UInt8.self))
      guard length >= 2, entry + length <= end else { break }
      switch type {
      case 0 where length >= 8:  // processor local APIC: uid, APIC ID, flags (bit 0 enabled)
        if read(entry + 4, as: UInt32.self) & 1 != 0 {
          apicIDs.append(UInt32(read(entry + 3, as: UInt8.self)))
        }
      case 1 where length >= 12:  // I/O APIC: id, reserved, address, GSI base
        IOAPIC.add(
          address: UInt64(read(entry + 4, as: UInt32.self)),
          gsiBase: read(entry + 8, as: UInt32.self))
      case 2 where length >= 10:  // interrupt source override: bus, source, GSI, flags
        let flags = read(entry + 8, as: UInt16.self)
        // MPS INTI flags: polarity bits 1:0 (3 = active low), trigger 3:2 (3 = level).
        overrides.append(
          Override(
            source: read(entry + 3, as: UInt8.self), gsi: read(entry + 4, as: UInt32.self),
            activeLow: flags & 3 == 3, level: (flags >> 2) & 3 == 3))
      default: break
      }
      entry += length
    }
  }

  /// MCFG: header (36), reserved (8), then 16-byte allocations: base (8),
  /// segment (2), start bus, end bus, reserved (4).
  private static func readMCFG(_ table: UInt64) {
    let end = table + UInt64(read(table + 4, as: UInt32.self))
    var entry = table + 44
    while entry + 16 <= end {
      if read(entry + 8, as: UInt16.self) == 0 && ecamBase == nil {
        ecamBase = read(entry, as: UInt64.self)
      }
      entry += 16
    }
  }
}
