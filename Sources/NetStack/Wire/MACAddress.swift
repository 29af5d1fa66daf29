// A 48-bit IEEE 802 MAC address (IEEE 802-2014 §8).

/// An Ethernet hardware address.
public struct MACAddress: Equatable, Hashable, Sendable {
  public var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

  public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
    bytes = (a, b, c, d, e, f)
  }

  /// Reads six bytes at `offset`; the caller checked `offset + 6 <= buffer.count`.
  init(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
    bytes = (
      buffer[offset], buffer[offset + 1], buffer[offset + 2], buffer[offset + 3],
      buffer[offset + 4], buffer[offset + 5]
    )
  }

  /// ff:ff:ff:ff:ff:ff.
  public static let broadcast = MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
  /// 00:00:00:00:00:00, the unknown target hardware address of an ARP request.
  public static let zero = MACAddress(0, 0, 0, 0, 0, 0)

  public var isBroadcast: Bool { self == .broadcast }
  /// Group addresses have the I/G bit (bit 0 of the first octet) set.
  public var isMulticast: Bool { bytes.0 & 1 != 0 }

  /// The six bytes in order.
  public var octets: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] }

  /// "52:54:00:12:34:56".
  public var text: String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var result: [UInt8] = []
    for (index, byte) in octets.enumerated() {
      if index > 0 { result.append(UInt8(ascii: ":")) }
      result.append(digits[Int(byte >> 4)])
      result.append(digits[Int(byte & 0xf)])
    }
    return String(decoding: result, as: UTF8.self)
  }

  public static func == (lhs: MACAddress, rhs: MACAddress) -> Bool {
    lhs.bytes.0 == rhs.bytes.0 && lhs.bytes.1 == rhs.bytes.1 && lhs.bytes.2 == rhs.bytes.2
      && lhs.bytes.3 == rhs.bytes.3 && lhs.bytes.4 == rhs.bytes.4 && lhs.bytes.5 == rhs.bytes.5
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(bytes.0)
    hasher.combine(bytes.1)
    hasher.combine(bytes.2)
    hasher.combine(bytes.3)
    hasher.combine(bytes.4)
    hasher.combine(bytes.5)
  }
}

extension Array where Element == UInt8 {
  mutating func appendMAC(_ address: MACAddress) {
    append(address.bytes.0)
    append(address.bytes.1)
    append(address.bytes.2)
    append(address.bytes.3)
    append(address.bytes.4)
    append(address.bytes.5)
  }
}
