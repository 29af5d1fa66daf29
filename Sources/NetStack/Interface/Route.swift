// Next-hop choice for a host (RFC 1122 §3.3.1): on-link destinations are
// reached directly, everything else through the default gateway; the limited
// and directed broadcasts go to the Ethernet broadcast address.

/// Where an outgoing IPv4 packet goes on the link.
enum NextHop: Equatable {
  /// ff:ff:ff:ff:ff:ff, no ARP.
  case broadcast
  /// Resolve this address with ARP.
  case neighbor(IPv4Address)
  /// Back into this interface (our own address or 127.0.0.0/8).
  case local
}

extension NetworkConfiguration {
  /// The next hop for `destination`, or `.noRoute`.
  func nextHop(for destination: IPv4Address) -> Result<NextHop, NetError> {
    if destination.isBroadcast || destination == subnetBroadcast { return .success(.broadcast) }
    if destination == address || destination.isLoopback { return .success(.local) }
    if destination.isMulticast || destination.isUnspecified { return .failure(.noRoute) }
    if destination.isSameSubnet(as: address, prefixLength: prefixLength) {
      return .success(.neighbor(destination))
    }
    guard let gateway else { return .failure(.noRoute) }
    return .success(.neighbor(gateway))
  }
}
