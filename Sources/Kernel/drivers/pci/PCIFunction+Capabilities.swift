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

  /// The capabilities, in list order (at most 48: a 192-byte list of 4-byte
  /// entries, which also stops a looping list).
  var capabilities: [Capability] {
    guard statusBits & Self.statusCapabilitiesList != 0 else { return [] }
    var result: [Capability] = []
    var pointer = UInt16(read8(Self.capabilitiesPointer) & 0xFC)
    while pointer >= 0x40 && result.count < 48 {
      result.append(Capability(id: read8(pointer), offset: pointer))
      pointer = UInt16(read8(pointer + 1) & 0xFC)
    }
    return result
  }

  /// The offset of the first capability with `id`, if the function has one.
  func capability(_ id: UInt8) -> UInt16? {
    capabilities.first { $0.id == id }?.offset
  }
}
