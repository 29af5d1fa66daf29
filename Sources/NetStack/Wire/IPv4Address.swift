// A 32-bit IPv4 address (RFC 791 §3.2), kept in host order.

/// An IPv4 address. `value` is in host byte order: 10.0.2.15 is 0x0a00_020f.
public struct IPv4Address: Equatable, Hashable, Sendable {
  public var value: UInt32

  public init(value: UInt32) {
    self.value = value
  }

  public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
    value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
  }

  /// Parses dotted-quad text ("10.0.2.15"): exactly four decimal parts of
  /// 0...255, no leading "+" or spaces. Leading zeros are accepted as decimal.
  public init?(parsing text: some StringProtocol) {
    var parser = DottedQuadParser()
    for byte in text.utf8 {
      guard parser.take(byte) else { return nil }
    }
    guard let address = parser.address else { return nil }
    self = address
  }

  /// Reads four bytes at `offset`; the caller checked the length.
  init(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
    value = buffer.netUInt32(at: offset)
  }

  /// 0.0.0.0.
  public static let unspecified = IPv4Address(value: 0)
  /// 255.255.255.255, the limited broadcast address (RFC 919).
  public static let broadcast = IPv4Address(value: 0xffff_ffff)

  public var isUnspecified: Bool { value == 0 }
  public var isBroadcast: Bool { value == 0xffff_ffff }
  /// 224.0.0.0/4 (RFC 5771).
  public var isMulticast: Bool { value >> 28 == 0xe }
  /// 127.0.0.0/8 (RFC 1122 §3.2.1.3).
  public var isLoopback: Bool { value >> 24 == 127 }

  /// The four bytes in network order.
  public var octets: [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
  }

  /// "10.0.2.15". The digits are written out: interpolating four integers is
  /// several times the code, which a guest under TCG pays for when the DHCP
  /// lines are first logged.
  public var text: String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(15)
    for (index, octet) in octets.enumerated() {
      if index > 0 { bytes.append(UInt8(ascii: ".")) }
      if octet >= 100 { bytes.append(UInt8(ascii: "0") + octet / 100) }
      if octet >= 10 { bytes.append(UInt8(ascii: "0") + octet / 10 % 10) }
      bytes.append(UInt8(ascii: "0") + octet % 10)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The netmask of a prefix length 0...32, as an address-sized value.
  static func mask(prefixLength: Int) -> UInt32 {
    prefixLength <= 0 ? 0 : prefixLength >= 32 ? ~0 : ~0 << UInt32(32 - prefixLength)
  }

  /// Whether `self` and `other` share the first `prefixLength` bits.
  func isSameSubnet(as other: IPv4Address, prefixLength: Int) -> Bool {
    let mask = IPv4Address.mask(prefixLength: prefixLength)
    return value & mask == other.value & mask
  }
}

extension Array where Element == UInt8 {
  mutating func appendIPv4(_ address: IPv4Address) {
    appendNetUInt32(address.value)
  }
}

/// Reads dotted-quad text a byte at a time, for `IPv4Address(parsing:)` and
/// for text where an address is followed by more (`10.0.2.15/24`).
struct DottedQuadParser {
  private var result: UInt32 = 0
  private var part: UInt32 = 0
  private var digits = 0
  private var dots = 0

  /// Takes the next byte; false if the text cannot be an address.
  mutating func take(_ byte: UInt8) -> Bool {
    if byte == UInt8(ascii: ".") {
      guard digits > 0, dots < 3 else { return false }
      result = result << 8 | part
      dots += 1
      part = 0
      digits = 0
      return true
    }
    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
    part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
    digits += 1
    return part <= 255 && digits <= 3
  }

  /// The address, if the bytes so far are a whole one.
  var address: IPv4Address? {
    digits > 0 && dots == 3 ? IPv4Address(value: result << 8 | part) : nil
  }
}
