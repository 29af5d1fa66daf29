// IPv4 input (RFC 791 §3.2, RFC 1122 §3.2.1) and output for the interface.

extension NetworkInterface {
  /// Where the transport header starts in frames built by `makeIPv4Frame`.
  static let transportOffset = EthernetFrame.headerLength + IPv4Packet.minimumHeaderLength

  /// An empty frame with zeroed room for the Ethernet and IPv4 headers;
  /// append the transport header and payload, then `transmitIPv4`.
  static func makeIPv4Frame(reserving payloadCapacity: Int) -> [UInt8] {
    var frame: [UInt8] = []
    frame.reserveCapacity(transportOffset + payloadCapacity)
    frame.append(contentsOf: repeatElement(0, count: transportOffset))
    return frame
  }

  /// RFC 1122 §3.2.1: silently discard a bad checksum, version or length;
  /// §3.2.1.3: discard a broadcast (limited or our subnet's) or multicast
  /// source, which no host sends from and to which no answer may go. We are no router, so
  /// only packets for our address (or broadcasts) go up. Before we have an
  /// address (DHCP), only UDP goes up. §3.2.1.3: 127.0.0.0/8 "MUST NOT
  /// appear outside a host", so only `loopback` packets may use it.
  /// `checksumVerified`: the NIC vouches for the TCP/UDP checksum; loopback
  /// packets need no check (and carry a partial one when TCP is offloaded).
  func handleIPv4(
    _ bytes: UnsafeRawBufferPointer, now: UInt64, loopback: Bool, checksumVerified: Bool
  ) {
    guard let packet = IPv4Packet(bytes), packet.isChecksumValid else { return drop() }
    guard !packet.isFragment else { return drop() }
    let source = packet.source
    let destination = packet.destination
    guard !source.isBroadcast, !source.isMulticast,
      configuration.map({ source != $0.subnetBroadcast }) ?? true
    else { return drop() }
    guard loopback || (!source.isLoopback && !destination.isLoopback) else { return drop() }
    let isBroadcast: Bool
    if let configuration {
      if destination == configuration.address || destination.isLoopback {
        isBroadcast = false
      } else if destination.isBroadcast || destination == configuration.subnetBroadcast {
        isBroadcast = true
      } else {
        return drop()
      }
    } else {
      guard packet.protocolNumber == IPProtocol.udp else { return drop() }
      isBroadcast = destination.isBroadcast
    }
    switch packet.protocolNumber {
    case IPProtocol.icmp:
      handleICMP(packet, isBroadcast: isBroadcast, now: now)
    default:
      handleTransport(
        packet, isBroadcast: isBroadcast, checksumVerified: checksumVerified || loopback, now: now)
    }
  }

  /// Fills in the headers of `frame` (from `makeIPv4Frame`) and queues it,
  /// or parks it until ARP resolves the next hop. The frame is taken over
  /// (`consuming`): written in place, not copied first.
  @discardableResult
  func transmitIPv4(
    _ frame: consuming [UInt8], source: IPv4Address, destination: IPv4Address,
    protocolNumber: UInt8,
    now: UInt64
  ) -> Result<Void, NetError> {
    let hop: NextHop
    if destination.isBroadcast {
      hop = .broadcast
    } else if let configuration {
      switch configuration.nextHop(for: destination) {
      case .success(let next): hop = next
      case .failure(let error): return .failure(error)
      }
    } else {
      return .failure(.noRoute)
    }
    let offset = EthernetFrame.headerLength
    IPv4Packet.writeHeader(
      source: source, destination: destination, protocolNumber: protocolNumber,
      payloadLength: frame.count - NetworkInterface.transportOffset,
      identification: nextIdentification, into: &frame, at: offset)
    nextIdentification &+= 1
    EthernetFrame.writeHeader(
      destination: .broadcast, source: mac, etherType: EtherType.ipv4, into: &frame)
    switch hop {
    case .broadcast:
      enqueue(frame)
    case .local:
      EthernetFrame.setDestination(mac, in: &frame)
      enqueue(frame, loopback: true)
    case .neighbor(let address):
      if let hardware = arpCache.lookup(address, now: now) {
        EthernetFrame.setDestination(hardware, in: &frame)
        enqueue(frame)
      } else if arpCache.enqueue(frame, for: address, now: now) {
        sendARPRequest(for: address)
      }
    }
    return .success(())
  }

  /// Our source address for packets to anywhere, if configured.
  var sourceAddress: IPv4Address? { configuration?.address }

  /// UDP and TCP input.
  func handleTransport(
    _ packet: IPv4Packet, isBroadcast: Bool, checksumVerified: Bool, now: UInt64
  ) {
    switch packet.protocolNumber {
    case IPProtocol.udp:
      handleUDP(packet, isBroadcast: isBroadcast, checksumVerified: checksumVerified, now: now)
    case IPProtocol.tcp:
      handleTCP(packet, isBroadcast: isBroadcast, checksumVerified: checksumVerified, now: now)
    default: drop()
    }
  }
}
