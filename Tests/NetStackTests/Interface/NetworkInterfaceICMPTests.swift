import Testing

@testable import NetStack

@Suite struct NetworkInterfaceICMPTests {
  /// Learns the gateway first, so the reply goes out at once.
  private func interfaceKnowingGateway() -> NetworkInterface {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    return interface
  }

  @Test func echoRequestGetsEchoReplyWithSameData() throws {
    let interface = interfaceKnowingGateway()
    interface.receive(Slirp.echoRequest, now: 1)
    let frames = interface.drain()
    try #require(frames.count == 1)
    let reply = frames[0]
    #expect(reply.count == Slirp.echoRequest.count)
    #expect(Array(reply[0..<12]) == Array(Slirp.echoRequest[6..<12] + Slirp.echoRequest[0..<6]))
    try reply.withUnsafeBytes { bytes in
      let packet = try #require(IPv4Packet(bytes.netSlice(14..<bytes.count)))
      #expect(packet.isChecksumValid)
      #expect(packet.source == Slirp.guest)
      #expect(packet.destination == Slirp.gateway)
      #expect(packet.protocolNumber == IPProtocol.icmp)
      #expect(packet.timeToLive == 64)
    }
    // Type 0, checksum = request's + 0x0800 (RFC 1624), identifier, sequence, data.
    var expected = Array(Slirp.echoRequest[34...])
    expected[0] = 0
    expected[2] = 0x2c
    #expect(Array(reply[34...]) == expected)
  }

  @Test func echoRequestToBroadcastIsIgnored() {
    let interface = interfaceKnowingGateway()
    var request = Slirp.echoRequest
    for index in 30..<34 { request[index] = 0xff }
    interface.receive(request.withChecksum(over: 14..<34, at: 24), now: 1)
    #expect(interface.drain().isEmpty)
  }

  @Test func echoReplyIsNotAnswered() {
    let interface = interfaceKnowingGateway()
    var reply = Slirp.echoRequest
    reply[34] = ICMPPacket.echoReply
    interface.receive(reply.withChecksum(over: 34..<reply.count, at: 36), now: 1)
    #expect(interface.drain().isEmpty)
  }
}
