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

  /// The directed broadcast address of the subnet (RFC 919), or nil for /31 and /32.
  var subnetBroadcast: IPv4Address? {
    guard prefixLength < 31 else { return nil }
    return IPv4Address(value: address.value | ~IPv4Address.mask(prefixLength: prefixLength))
  }
}
