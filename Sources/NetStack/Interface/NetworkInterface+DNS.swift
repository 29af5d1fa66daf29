// The DNS stub resolver (Sockets/DNSResolver.swift) on the interface: each
// lookup binds a random ephemeral UDP port of its own (RFC 5452 §4.5), freed
// when the lookup finishes.

extension NetworkInterface {
  /// Starts looking up the A record of `name` at the configured DNS
  /// servers. A dotted-quad `name` resolves to itself at once. Errors:
  /// `.invalidArgument` for a malformed name, `.noRoute` without
  /// configuration or servers, `.noBuffers` with 64 lookups pending.
  /// Results not collected by then give way to new lookups.
  public func dnsStart(name: String, now: UInt64) -> Result<DNSQuery, NetError> {
    advanceClock(now)
    guard !dnsResolver.isFull else { return .failure(.noBuffers) }
    if let literal = IPv4Address(parsing: name) {
      let id = makeHandleID()
      dnsResolver.insertFinished(id: id, result: .success(literal))
      return .success(DNSQuery(id: id))
    }
    guard let encoded = DNSMessage.encodeName(name) else { return .failure(.invalidArgument) }
    guard let servers = configuration?.dnsServers, !servers.isEmpty else {
      return .failure(.noRoute)
    }
    guard let port = ephemeralPort(isFree: { udpPorts[$0] == nil }) else {
      return .failure(.noBuffers)
    }
    udpPorts[port] = NetworkInterface.dnsPortOwner
    let id = makeHandleID()
    dnsResolver.start(
      id: id, encodedName: encoded, messageID: random.next16(), port: port, now: lastNow)
    pollDNS(now: lastNow)
    return .success(DNSQuery(id: id))
  }

  /// The address, `.wouldBlock` while pending, `.nameNotFound`, `.timedOut`,
  /// `.truncatedAnswer`, or `.invalidArgument` for an unknown query. A
  /// finished query is forgotten once its result is returned.
  public func dnsResult(_ query: DNSQuery) -> Result<IPv4Address, NetError> {
    guard dnsResolver.contains(id: query.id) else { return .failure(.invalidArgument) }
    return dnsResolver.collect(id: query.id) ?? .failure(.wouldBlock)
  }

  /// Abandons a lookup (or forgets an uncollected result).
  public func dnsCancel(_ query: DNSQuery) {
    dnsResolver.cancel(id: query.id)
    releaseDNSPorts()
  }

  /// The handle id standing for the resolver in `udpPorts`.
  static let dnsPortOwner = -1

  func pollDNS(now: UInt64) {
    let servers = configuration?.dnsServers ?? []
    let source = sourceAddress
    for outgoing in dnsResolver.poll(now: now, servers: servers) {
      guard let source else { continue }
      outgoing.payload.withUnsafeBytes { payload in
        _ = sendUDP(
          from: source, port: outgoing.port, to: outgoing.server, port: DNSMessage.port,
          payload, now: now)
      }
    }
    releaseDNSPorts()
  }

  /// A datagram to one of the resolver's ports.
  func handleDNS(_ packet: IPv4Packet, _ datagram: UDPDatagram, now: UInt64) {
    guard datagram.sourcePort == DNSMessage.port else { return drop() }
    dnsResolver.handle(
      datagram.payload, from: packet.source, to: datagram.destinationPort, now: now)
    releaseDNSPorts()
  }

  private func releaseDNSPorts() {
    for port in dnsResolver.takeReleasedPorts()
    where udpPorts[port] == NetworkInterface.dnsPortOwner {
      udpPorts[port] = nil
    }
  }
}
