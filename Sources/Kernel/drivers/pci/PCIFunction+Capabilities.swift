// The capability list (PCI Local Bus 3.0 §6.7): when status bit 4 is set, the
// byte at 0x34 points at the first capability; each starts with an ID byte and
// the offset of the next (0 ends the list). "The bottom two bits of all
// pointers are reserved and must be masked off."

extension PCIFunction {
  // Capability IDs (PCI Code and ID Assignment 1.11 §2).
  static let capabilityPowerManagement: UInt8 = 0x01
  static let capabilityMSI: UInt8 = 0x05
  static let capabilityVendor: UInt8 = 0x09
  static let capabilityPCIExpress: UInt8 = 0x10
  static let capabilityMSIX: UInt8 = 0x11

  struct Capability {
    var id: UInt8
    /// Where it starts in configuration space.
    var offset: UInt16
  }

  /// Calls `body` with each capability in list order until it returns false
  /// (at most 48: a 192-byte list of 4-byte entries, which also stops a looping list).
  func forEachCapability(_ body: (Capability) -> Bool) {
    guard statusBits & Self.statusCapabilitiesList != 0 else { return }
    var pointer = UInt16(read8(Self.capabilitiesPointer) & 0xFC)
    var count = 0
    while pointer >= 0x40 && count < 48 {
      guard body(Capability(id: read8(pointer), offset: pointer)) else { return }
      pointer = UInt16(read8(pointer + 1) & 0xFC)
      count += 1
    }
  }

  /// The offset of the first capability with `id`, if the function has one.
  func capability(_ id: UInt8) -> UInt16? {
    var found: UInt16? = nil
    forEachCapability { capability in
      if capability.id == id { found = capability.offset }
      return found == nil
    }
    return found
  }
}
