// Base address registers: where a function's registers are, and how big
// (PCI Local Bus 3.0 §6.2.5.1).
//
// - Bit 0 tells the kind: 1 = I/O space (address bits 31:2), 0 = memory.
// - Memory: bits 2:1 = type (00 32-bit, 10 64-bit: the next BAR holds the high
//   half), bit 3 = prefetchable, address bits 31:4.
// - Size: "write a value of all 1's to the register, then read it back ... the
//   lowest bit set ... determines the size". Decoding is turned off meanwhile
//   (§6.2.5.1: "software should disable decode ... before sizing") and the
//   original value written back.

extension PCIFunction {
  struct BAR {
    enum Kind { case io, memory32, memory64 }
    /// Index of the BAR (0–5); a 64-bit BAR also uses index + 1.
    var index: Int
    var kind: Kind
    var address: UInt64
    var size: UInt64
    var prefetchable: Bool
  }

  static let barIO: UInt32 = 1 << 0  // I/O space indicator
  static let barType64: UInt32 = 0b10 << 1  // memory type: 64-bit
  static let barPrefetchable: UInt32 = 1 << 3

  /// How many BARs the header has: 6 for a device (type 0), 2 for a bridge.
  var barCount: Int { isBridge ? 2 : 6 }

  /// Calls `body` with each implemented BAR (size > 0), in index order.
  func forEachBAR(_ body: (BAR) -> Void) {
    var index = 0
    while index < barCount {
      if let bar = bar(index) {
        body(bar)
        index += bar.kind == .memory64 ? 2 : 1
      } else {
        index += 1
      }
    }
  }

  /// BAR `index` decoded and sized, or nil if the function does not implement it.
  func bar(_ index: Int) -> BAR? {
    guard index < barCount else { return nil }
    let offset = Self.firstBAR + UInt16(index * 4)
    let original = read32(offset)
    let saved = commandBits
    disable(Self.commandIOSpace | Self.commandMemorySpace)
    defer { enable(saved & (Self.commandIOSpace | Self.commandMemorySpace)) }
    write32(offset, 0xFFFF_FFFF)
    let probe = read32(offset)
    write32(offset, original)

    if original & Self.barIO != 0 {
      // I/O: bits 31:2 (the upper 16 may read 0 on x86, whose port space is 64 KiB).
      let mask = probe & ~0b11
      guard mask != 0 else { return nil }
      let size = UInt64((~mask &+ 1) & 0xFFFF)
      return BAR(
        index: index, kind: .io, address: UInt64(original & ~0b11),
        size: size == 0 ? 0x1_0000 : size, prefetchable: false)
    }
    let prefetchable = original & Self.barPrefetchable != 0
    if original & (0b11 << 1) == Self.barType64, index + 1 < barCount {
      let highOffset = offset + 4
      let originalHigh = read32(highOffset)
      write32(highOffset, 0xFFFF_FFFF)
      let probeHigh = read32(highOffset)
      write32(highOffset, originalHigh)
      let mask = UInt64(probeHigh) << 32 | UInt64(probe & ~0xF)
      guard mask != 0 else { return nil }
      return BAR(
        index: index, kind: .memory64,
        address: UInt64(originalHigh) << 32 | UInt64(original & ~0xF), size: ~mask &+ 1,
        prefetchable: prefetchable)
    }
    let mask = probe & ~0xF
    guard mask != 0 else { return nil }
    return BAR(
      index: index, kind: .memory32, address: UInt64(original & ~0xF),
      size: UInt64(~mask &+ 1), prefetchable: prefetchable)
  }
}
