import Testing

@testable import NetStack

@Suite struct ARPPacketTests {
  @Test func parsesCapturedRequest() throws {
    try Slirp.arpRequestForGuest.withUnsafeBytes { bytes in
      let frame = try #require(EthernetFrame(bytes))
      #expect(frame.destination == .broadcast)
      #expect(frame.source == Slirp.gatewayMAC)
      #expect(frame.etherType == EtherType.arp)
      let packet = try #require(ARPPacket(frame.payload))
      #expect(packet.operation == ARPPacket.request)
      #expect(packet.senderHardwareAddress == Slirp.gatewayMAC)
      #expect(packet.senderProtocolAddress == Slirp.gateway)
      #expect(packet.targetProtocolAddress == Slirp.guest)
    }
  }

  @Test func emitRoundTripsTheCapturedReply() {
    var frame: [UInt8] = []
    EthernetFrame.emitHeader(
      destination: Slirp.guestMAC, source: Slirp.gatewayMAC, etherType: EtherType.arp, into: &frame)
    ARPPacket.emit(
      operation: ARPPacket.reply, senderHardware: Slirp.gatewayMAC, senderProtocol: Slirp.gateway,
      targetHardware: Slirp.guestMAC, targetProtocol: Slirp.guest, into: &frame)
    #expect(frame == Array(Slirp.arpReplyFromGateway[0..<42]))
  }

  @Test func rejectsOtherHardwareTypesAndShortPackets() {
    var other = Array(Slirp.arpRequestForGuest[14...])
    other[1] = 6  // IEEE 802 hardware type
    other.withUnsafeBytes { #expect(ARPPacket($0) == nil) }
    Array(Slirp.arpRequestForGuest[14..<41]).withUnsafeBytes { #expect(ARPPacket($0) == nil) }
  }
}
