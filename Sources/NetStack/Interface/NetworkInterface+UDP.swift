// UDP input and the UDP socket API of the interface (RFC 768, RFC 1122 §4.1).

extension NetworkInterface {
  /// The most payload one unfragmented datagram carries on Ethernet.
  public static let maximumUDPPayload =
    EthernetFrame.mtu - IPv4Packet.minimumHeaderLength - UDPDatagram.headerLength

  /// Binds a UDP socket to `port`, or to a free ephemeral port (49152–65535,
  /// RFC 6335 §6) if `port` is 0. `.addressInUse` if taken.
  public func udpBind(port: UInt16) -> Result<UDPHandle, NetError> {
    var chosen = port
    if chosen == 0 {
      guard let free = ephemeralPort(isFree: { udpPorts[$0] == nil }) else {
        return .failure(.noBuffers)
      }
      chosen = free
    } else if udpPorts[chosen] != nil {
      return .failure(.addressInUse)
    }
    let id = makeHandleID()
    udpPorts[chosen] = id
    udpSockets[id] = UDPSocketState(port: chosen)
    return .success(UDPHandle(id: id))
  }

  /// The local port of a bound socket.
  public func udpLocalPort(_ handle: UDPHandle) -> UInt16? {
    udpSockets[handle.id]?.port
  }

  /// Sends one datagram of at most `maximumUDPPayload` bytes (larger:
  /// `.invalidArgument`). Returns the bytes sent; the datagram may still
  /// wait for ARP (and be dropped if ARP gives up, as UDP allows).
  public func udpSend(
    _ handle: UDPHandle, to destination: IPv4Address, port: UInt16,
    _ bytes: UnsafeRawBufferPointer, now: UInt64
  ) -> Result<Int, NetError> {
    advanceClock(now)
    guard let socket = udpSockets[handle.id] else { return .failure(.invalidArgument) }
    guard bytes.count <= NetworkInterface.maximumUDPPayload, port != 0 else {
      return .failure(.invalidArgument)
    }
    guard let source = sourceAddress else { return .failure(.noRoute) }
    return sendUDP(
      from: source, port: socket.port, to: destination, port: port, bytes, now: lastNow
    ).map { bytes.count }
  }

  /// The oldest received datagram, truncated to `buffer` (the rest is
  /// discarded, as recvfrom does): the bytes copied and the sender.
  public func udpReceive(
    _ handle: UDPHandle, into buffer: UnsafeMutableRawBufferPointer
  ) -> Result<(count: Int, from: IPv4Address, port: UInt16), NetError> {
    guard udpSockets[handle.id] != nil else { return .failure(.invalidArgument) }
    guard let datagram = udpSockets[handle.id]?.pop() else { return .failure(.wouldBlock) }
    let count = min(buffer.count, datagram.payload.count)
    datagram.payload.withUnsafeBytes { source in
      if count > 0 {
        buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
      }
    }
    return .success((count: count, from: datagram.source, port: datagram.sourcePort))
  }

  /// Datagrams waiting for `udpReceive` (0 for an unknown handle).
  public func udpQueuedCount(_ handle: UDPHandle) -> Int {
    udpSockets[handle.id]?.queuedCount ?? 0
  }

  /// Unbinds the socket; its unread datagrams are dropped.
  public func udpClose(_ handle: UDPHandle) {
    guard let socket = udpSockets.removeValue(forKey: handle.id) else { return }
    udpPorts[socket.port] = nil
  }

  // MARK: Internals

  func sendUDP(
    from source: IPv4Address, port sourcePort: UInt16, to destination: IPv4Address,
    port destinationPort: UInt16, _ bytes: UnsafeRawBufferPointer, now: UInt64
  ) -> Result<Void, NetError> {
    var frame = NetworkInterface.makeIPv4Frame(reserving: UDPDatagram.headerLength + bytes.count)
    UDPDatagram.emit(
      sourcePort: sourcePort, destinationPort: destinationPort, payload: bytes, source: source,
      destination: destination, into: &frame)
    return transmitIPv4(
      consume frame, source: source, destination: destination, protocolNumber: IPProtocol.udp,
      now: now)
  }

  /// `checksumVerified`: the NIC (or loopback) vouches for the checksum.
  func handleUDP(_ packet: IPv4Packet, isBroadcast: Bool, checksumVerified: Bool, now: UInt64) {
    guard let datagram = UDPDatagram(packet.payload),
      checksumVerified
        || datagram.isChecksumValid(source: packet.source, destination: packet.destination)
    else { return drop() }
    let port = datagram.destinationPort
    if port == DHCPMessage.clientPort, dhcp != nil {
      guard datagram.sourcePort == DHCPMessage.serverPort else { return drop() }
      return handleDHCP(datagram.payload, now: now)
    }
    guard configuration != nil else { return drop() }
    if udpPorts[port] == NetworkInterface.dnsPortOwner {
      return handleDNS(packet, datagram, now: now)
    }
    guard let id = udpPorts[port] else {
      // RFC 1122 §4.1.3.1: "If a datagram arrives addressed to a UDP port for
      // which there is no pending LISTEN call, UDP SHOULD send an ICMP Port
      // Unreachable message" — but never for a broadcast (§3.2.2).
      if !isBroadcast { sendPortUnreachable(for: packet, now: now) }
      return drop()
    }
    let queued =
      udpSockets[id]?.push(
        UDPSocketState.Datagram(
          payload: Array(datagram.payload), source: packet.source,
          sourcePort: datagram.sourcePort)) ?? false
    if queued { noteReadiness(id) } else { drop() }
  }

  /// RFC 792 destination unreachable, code 3: the offending IP header and
  /// the first 8 bytes of its payload.
  func sendPortUnreachable(for packet: IPv4Packet, now: UInt64) {
    guard let source = sourceAddress else { return }
    let quoted = packet.bytes.netSlice(0..<min(packet.bytes.count, packet.headerLength + 8))
    var frame = NetworkInterface.makeIPv4Frame(reserving: ICMPPacket.headerLength + quoted.count)
    ICMPPacket.emit(
      type: ICMPPacket.destinationUnreachable, code: ICMPPacket.portUnreachable, restOfHeader: 0,
      payload: quoted, into: &frame)
    transmitIPv4(
      consume frame, source: source, destination: packet.source, protocolNumber: IPProtocol.icmp,
      now: now)
  }

  /// A free port of 49152–65535 per `isFree`, starting at a seeded random
  /// point (RFC 6056 §3.3.1's simple randomization); nil if all are taken.
  func ephemeralPort(isFree: (UInt16) -> Bool) -> UInt16? {
    let first = 49152
    let count = 65536 - first
    let start = Int(random.next16()) % count
    for step in 0..<count {
      let port = UInt16(first + (start + step) % count)
      if isFree(port) { return port }
    }
    return nil
  }

  func makeHandleID() -> Int {
    nextHandleID += 1
    return nextHandleID
  }
}
