// Addresses for BARs the firmware left unassigned. SeaBIOS assigns every BAR;
// qboot (the runtime's `-M pc` firmware: PLATFORM.md) assigns none, leaving
// them 0. PCI Local Bus 3.0 §6.2.5.1: a BAR is naturally aligned to its size.
//
// Windows on QEMU: RAM below 4 GiB ends at 0xE0000000 at most on `pc` (and
// below 0xB0000000 on `q35`), and the I/O APIC sits at 0xFEC00000, so memory
// BARs go upward from 0xE0000000; I/O BARs from 0xC000, where SeaBIOS starts
// too (the ISA devices live below 0x1000). On microvm with PCIe, the host
// bridge's window instead (PCIBus+Microvm.swift), and no I/O space. Only
// functions on bus 0: a function behind a bridge would also need the bridge's
// windows programmed.

extension PCIBus {
  static let pcMemoryWindow: ClosedRange<UInt64> = 0xE000_0000...0xFEBF_FFFF
  static let ioWindow: ClosedRange<UInt64> = 0xC000...0xFFFF

  static var memoryWindow: ClosedRange<UInt64> {
    onMicrovmPCIe ? microvmMemoryWindow : pcMemoryWindow
  }

  /// Gives each unassigned BAR of each bus-0 function an address of its own.
  static func assignUnassignedBARs(_ functions: [UInt32]) {
    var nextMemory = memoryWindow.lowerBound
    var nextIO = ioWindow.lowerBound
    for packed in functions {
      let function = PCIFunction(packed: packed)
      guard function.bus == 0 && !function.isBridge else { continue }
      function.forEachBAR { bar in
        guard bar.address == 0 else { return }
        let alignment = max(bar.size, bar.kind == .io ? 4 : 16)
        if bar.kind == .io {
          guard !onMicrovmPCIe else { return }
          let address = (nextIO + alignment - 1) & ~(alignment - 1)
          guard address + bar.size - 1 <= ioWindow.upperBound else { return }
          function.setBAR(bar, address: address)
          nextIO = address + bar.size
        } else {
          let address = (nextMemory + alignment - 1) & ~(alignment - 1)
          guard address + bar.size - 1 <= memoryWindow.upperBound else { return }
          function.setBAR(bar, address: address)
          nextMemory = address + bar.size
        }
      }
    }
  }
}

extension PCIFunction {
  /// Writes `address` to a BAR, keeping its read-only low bits (kind, type,
  /// prefetchable); a 64-bit BAR gets its high half too.
  func setBAR(_ bar: BAR, address: UInt64) {
    let offset = Self.firstBAR + UInt16(bar.index * 4)
    let low = read32(offset) & (bar.kind == .io ? 0b11 : 0xF)
    write32(offset, UInt32(truncatingIfNeeded: address) | low)
    if bar.kind == .memory64 { write32(offset + 4, UInt32(truncatingIfNeeded: address >> 32)) }
  }
}
