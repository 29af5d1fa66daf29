// ICMP input for the interface: the echo server RFC 1122 §3.2.2.6 requires.
// Other messages are ignored (TCP does not act on ICMP errors; RFC 5927 lets
// a host ignore them).

extension NetworkInterface {
  func handleICMP(_ packet: IPv4Packet, isBroadcast: Bool, now: UInt64) {
    guard let message = ICMPPacket(packet.payload), message.isChecksumValid else { return drop() }
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
}
