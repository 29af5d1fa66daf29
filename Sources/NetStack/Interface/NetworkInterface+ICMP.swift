// ICMP input for the interface: the echo server RFC 1122 §3.2.2.6 requires,
// and destination unreachable for TCP (RFC 1122 §4.2.3.9, RFC 5927):
// - in SYN-SENT it ends the connect with the error it names, as Linux
//   does: the peer will not answer, and waiting out the SYN retries takes
//   minutes;
// - "fragmentation needed" lowers the connection's MSS to the next hop's
//   MTU (RFC 1191 §6), never below `minimumPathMTU`;
// - other codes in synchronized states are soft errors and are ignored
//   ("TCP MUST NOT abort the connection").
// An error counts only if the TCP segment it quotes is one in flight on a
// connection we have (RFC 5927 §4.1), which a blind attacker must guess.
// Other messages are ignored.

extension NetworkInterface {
  /// The smallest path MTU "fragmentation needed" may set (Linux's
  /// min_pmtu): lower values are taken for this, so that a forged message
  /// cannot shrink segments to a few bytes.
  static let minimumPathMTU = 552

  /// RFC 1191 §7's plateaus, for "fragmentation needed" from a router that
  /// does not say the MTU: the first below the datagram that was too big.
  static let pathMTUPlateaus = [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68]

  func handleICMP(_ packet: IPv4Packet, isBroadcast: Bool, now: UInt64) {
    guard let message = ICMPPacket(packet.payload), message.isChecksumValid else { return drop() }
    if message.type == ICMPPacket.destinationUnreachable, !isBroadcast {
      return handleDestinationUnreachable(message, now: now)
    }
    // "An ICMP Echo Request destined to an IP broadcast or IP multicast
    // address MAY be silently discarded."
    guard message.type == ICMPPacket.echoRequest, message.code == 0, !isBroadcast,
      let source = sourceAddress
    else { return }
    // "The data received in the echo message must be returned in the echo reply message."
    var frame = NetworkInterface.makeIPv4Frame(reserving: message.bytes.count)
    ICMPPacket.emit(
      type: ICMPPacket.echoReply, code: 0,
      restOfHeader: UInt32(message.identifier) << 16 | UInt32(message.sequenceNumber),
      payload: message.payload, into: &frame)
    transmitIPv4(
      consume frame, source: source, destination: packet.source, protocolNumber: IPProtocol.icmp,
      now: now)
  }

  private func handleDestinationUnreachable(_ message: ICMPPacket, now: UInt64) {
    guard let quoted = message.quoted, quoted.protocolNumber == IPProtocol.tcp,
      quoted.source == sourceAddress
    else { return }
    let endpoints = TCPEndpoints(
      localPort: quoted.transport.netUInt16(at: 0), remoteAddress: quoted.destination,
      remotePort: quoted.transport.netUInt16(at: 2))
    let sequence = quoted.transport.netUInt32(at: 4)
    guard let id = tcpConnections[endpoints], let block = tcpBlocks[id],
      TCPSeq.le(block.sndUna, sequence), TCPSeq.lt(sequence, block.sndMax)
    else { return drop() }
    switch message.code {
    case ICMPPacket.fragmentationNeeded:
      var mtu = Int(message.nextHopMTU)
      if mtu == 0 || mtu >= quoted.totalLength {
        mtu = NetworkInterface.pathMTUPlateaus.first { $0 < quoted.totalLength } ?? 0
      }
      mtu = max(mtu, NetworkInterface.minimumPathMTU)
      block.lowerSendMSS(
        to: mtu - IPv4Packet.minimumHeaderLength - TCPSegment.minimumHeaderLength, now: now)
    default:
      guard block.state == .synSent else { return }
      block.abandon(NetworkInterface.connectError(forUnreachableCode: message.code))
    }
    flush(block)
  }

  /// The error a connect ends with (Linux's icmp_err_convert).
  static func connectError(forUnreachableCode code: UInt8) -> NetError {
    switch code {
    case ICMPPacket.protocolUnreachable, ICMPPacket.portUnreachable: .connectionRefused
    case ICMPPacket.networkUnreachable, ICMPPacket.networkUnknown, ICMPPacket.networkProhibited,
      ICMPPacket.networkUnreachableForTOS:
      .noRoute
    default: .hostUnreachable
    }
  }
}
