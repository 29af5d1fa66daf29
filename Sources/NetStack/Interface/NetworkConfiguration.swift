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
  /// (a bare address means /24) and `gateway=A.B.C.D`; nil if `address` does
  /// not parse. A gateway that does not parse is left out.
  public init?(address text: some StringProtocol, gateway: (some StringProtocol)?) {
    let parts = text.split(separator: "/", maxSplits: 1)
    guard let first = parts.first, let address = IPv4Address(parsing: first) else { return nil }
    var prefix = 24
    if parts.count == 2 {
      guard let value = Int(parts[1]), (0...32).contains(value) else { return nil }
      prefix = value
    }
    self.init(
      address: address, prefixLength: prefix,
      gateway: gateway.flatMap { IPv4Address(parsing: $0) })
  }

  /// The directed broadcast address of the subnet (RFC 919), or nil for /31 and /32.
  var subnetBroadcast: IPv4Address? {
    guard prefixLength < 31 else { return nil }
    return IPv4Address(value: address.value | ~IPv4Address.mask(prefixLength: prefixLength))
  }
}
