// The interface's IPv4 configuration: static, or leased by DHCP.

/// Address, subnet, default route and resolvers of the interface.
public struct NetworkConfiguration: Equatable, Sendable {
  public var address: IPv4Address
  /// The subnet prefix length, 0...32 ("/24").
  public var prefixLength: Int
  public var gateway: IPv4Address?
  public var dnsServers: [IPv4Address]

  public init(
    address: IPv4Address, prefixLength: Int, gateway: IPv4Address? = nil,
    dnsServers: [IPv4Address] = []
  ) {
    self.address = address
    self.prefixLength = prefixLength
    self.gateway = gateway
    self.dnsServers = dnsServers
  }

  /// A static configuration from the kernel command line's `ip=A.B.C.D/N`
  /// (a bare address means /24), `gateway=A.B.C.D` and `dns=A.B.C.D`; nil if
  /// `address` does not parse. A gateway or DNS server that does not parse is
  /// left out.
  ///
  /// Reads the text's bytes in one pass: String's splitting, slicing and
  /// integer parsing are ~150 blocks of generic code that a guest would run
  /// once per boot, translated first under TCG (issue 9: a networked boot's cost).
  public init?(address text: String, gateway: String?, dns: String? = nil) {
    var parser = DottedQuadParser()
    var prefix: Int? = nil  // set at the "/"
    var prefixDigits = 0
    for byte in text.utf8 {
      if let value = prefix {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), prefixDigits < 2 else {
          return nil
        }
        prefix = value * 10 + Int(byte - UInt8(ascii: "0"))
        prefixDigits += 1
      } else if byte == UInt8(ascii: "/") {
        prefix = 0
      } else if !parser.take(byte) {
        return nil
      }
    }
    guard let address = parser.address else { return nil }
    if let prefix, prefixDigits == 0 || prefix > 32 { return nil }
    self.init(
      address: address, prefixLength: prefix ?? 24,
      gateway: gateway.flatMap { IPv4Address(parsing: $0) },
      dnsServers: dns.flatMap { IPv4Address(parsing: $0) }.map { [$0] } ?? [])
  }

  /// The directed broadcast address of the subnet (RFC 919), or nil for /31 and /32.
  var subnetBroadcast: IPv4Address? {
    guard prefixLength < 31 else { return nil }
    return IPv4Address(value: address.value | ~IPv4Address.mask(prefixLength: prefixLength))
  }
}
