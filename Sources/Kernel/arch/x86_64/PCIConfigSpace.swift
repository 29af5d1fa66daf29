// PCI configuration space: 256 bytes (4 KiB on PCI Express) of registers per
// function, read and written as aligned 32-bit words.
//
// Two ways in:
// - Configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2): write the
//   function's address to CONFIG_ADDRESS (port 0xCF8), then move the word
//   through CONFIG_DATA (port 0xCFC). Every PC chipset has it (QEMU's `pc`).
// - ECAM (PCI Express Base 4.0 §7.2.2): the space is memory-mapped at the MCFG's
//   base + (bus << 20 | device << 15 | function << 12 | offset). Used when ACPI
//   found an MCFG (QEMU's `q35`); no port pair to serialize, and the extended
//   space past 0xFF is reachable.
import _Volatile

enum PCIConfigSpace {
  static let addressPort: UInt16 = 0xCF8  // CONFIG_ADDRESS
  static let dataPort: UInt16 = 0xCFC  // CONFIG_DATA
  static let enableBit: UInt32 = 1 << 31  // CONFIG_ADDRESS bit 31: "Enable" configuration access
  static let busBytes: UInt64 = 1 << 20  // ECAM: 32 devices × 8 functions × 4 KiB

  /// Serializes the 0xCF8/0xCFC pair (an address then a data access).
  nonisolated(unsafe) static var portLock = SpinLock()
  /// The buses whose ECAM window is mapped, one bit each.
  nonisolated(unsafe) static var mappedBuses = [UInt64](repeating: 0, count: 4)

  /// The 32-bit word at `offset` (rounded down to a multiple of 4) of a function.
  static func read(bus: UInt8, device: UInt8, function: UInt8, offset: UInt16) -> UInt32 {
    if let address = ecamAddress(bus: bus, device: device, function: function, offset: offset) {
      return VolatileMappedRegister<UInt32>(unsafeBitPattern: address).load()
    }
    guard offset < 0x100 else { return 0xFFFF_FFFF }
    let interruptsWereEnabled = portLock.acquire()
    outl(addressPort, mechanism1Address(bus, device, function, offset))
    let value = inl(dataPort)
    portLock.release(interruptsWereEnabled: interruptsWereEnabled)
    return value
  }

  /// Writes the 32-bit word at `offset` (rounded down to a multiple of 4).
  static func write(
    bus: UInt8, device: UInt8, function: UInt8, offset: UInt16, _ value: UInt32
  ) {
    if let address = ecamAddress(bus: bus, device: device, function: function, offset: offset) {
      VolatileMappedRegister<UInt32>(unsafeBitPattern: address).store(value)
      return
    }
    guard offset < 0x100 else { return }
    let interruptsWereEnabled = portLock.acquire()
    outl(addressPort, mechanism1Address(bus, device, function, offset))
    outl(dataPort, value)
    portLock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Whether configuration space goes through ECAM (an MCFG was found).
  static var usesECAM: Bool { ACPI.ecamBase != nil }

  /// CONFIG_ADDRESS (§3.2.2.3.2, Figure 3-2): enable (31), bus (23:16),
  /// device (15:11), function (10:8), register (7:2), 00.
  private static func mechanism1Address(
    _ bus: UInt8, _ device: UInt8, _ function: UInt8, _ offset: UInt16
  ) -> UInt32 {
    enableBit | UInt32(bus) << 16 | UInt32(device & 0x1F) << 11 | UInt32(function & 7) << 8
      | UInt32(offset & 0xFC)
  }

  /// The ECAM address of the word (PCIe 4.0 §7.2.2, Table 7-1), mapping the
  /// bus's 1 MiB window on first use; nil without an MCFG.
  private static func ecamAddress(bus: UInt8, device: UInt8, function: UInt8, offset: UInt16)
    -> UInt?
  {
    guard let base = ACPI.ecamBase else { return nil }
    let window = base + UInt64(bus) * busBytes
    let word = Int(bus) / 64
    let bit = UInt64(1) << UInt64(Int(bus) % 64)
    if mappedBuses[word] & bit == 0 {
      Memory.mapDevice(window, length: busBytes)
      mappedBuses[word] |= bit
    }
    let address =
      window | UInt64(device & 0x1F) << 15 | UInt64(function & 7) << 12 | UInt64(offset & 0xFFC)
    return UInt(address)
  }
}
