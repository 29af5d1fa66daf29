import Testing

@testable import NetStack

/// Checksum offload's wire half: partial TCP checksums as the stack leaves them,
/// completed the way a NIC does (virtio's NEEDS_CSUM), and where the NIC looks.
@Suite struct PartialChecksumTests {
  /// An Ethernet + IPv4 + TCP frame as `transmitTCP` builds it, with `payload`.
  func tcpFrame(payload: [UInt8], partial: Bool) -> [UInt8] {
    var frame = NetworkInterface.makeIPv4Frame(reserving: 40 + payload.count)
    let start = frame.count
    let header = TCPHeader(
      sourcePort: 8000, destinationPort: 40000, sequenceNumber: 0x0102_0304,
      acknowledgmentNumber: 0xa0b0_c0d0, flags: [.ack, .psh], window: 0xfff0)
    TCPSegment.emitHeader(header, into: &frame)
    frame += payload
    TCPSegment.finish(
      &frame, segmentStart: start, source: Slirp.guest, destination: Slirp.gateway,
      partial: partial)
    IPv4Packet.writeHeader(
      source: Slirp.guest, destination: Slirp.gateway, protocolNumber: IPProtocol.tcp,
      payloadLength: frame.count - start, identification: 7, into: &frame,
      at: EthernetFrame.headerLength)
    frame[12] = 0x08  // EtherType IPv4
    frame[13] = 0x00
    return frame
  }

  @Test(arguments: [0, 1, 2, 3, 17, 536, 1459, 1460])
  func aCompletedPartialChecksumEqualsTheOneTheStackComputes(payloadSize: Int) throws {
    var random = TestRandom(seed: UInt64(payloadSize) + 1)
    let payload = random.bytes(payloadSize)
    let full = tcpFrame(payload: payload, partial: false)
    var partial = tcpFrame(payload: payload, partial: true)
    #expect(partial != full || payloadSize == 0)
    let (start, offset) = try #require(
      partial.withUnsafeBytes { PartialChecksum.location(inFrame: $0) })
    #expect(start == 34)
    #expect(offset == 16)
    partial.withUnsafeMutableBytes { PartialChecksum.complete($0, start: start, offset: offset) }
    #expect(partial == full)
  }

  @Test func thePartialFieldHoldsTheFoldedPseudoHeaderSum() {
    let frame = tcpFrame(payload: [1, 2, 3], partial: true)
    let pseudo = InternetChecksum.pseudoHeader(
      source: Slirp.guest, destination: Slirp.gateway, protocolNumber: IPProtocol.tcp,
      length: frame.count - 34)
    let field = UInt16(frame[34 + 16]) << 8 | UInt16(frame[34 + 17])
    #expect(field == ~InternetChecksum.finish(pseudo))
  }

  @Test func theLocationFollowsIPv4Options() throws {
    // IHL 6: a 24-byte IPv4 header (one 4-byte option), so TCP starts at 38.
    var frame = tcpFrame(payload: [9], partial: true)
    frame.insert(contentsOf: [1, 1, 1, 0], at: 34)  // NOP, NOP, NOP, end of options
    frame[14] = 0x46
    let total = frame.count - 14
    frame[16] = UInt8(total >> 8)
    frame[17] = UInt8(total & 0xff)
    let location = try #require(frame.withUnsafeBytes { PartialChecksum.location(inFrame: $0) })
    #expect(location.start == 38)
  }

  @Test func nothingButUnfragmentedIPv4TCPHasALocation() {
    var udp = tcpFrame(payload: [1], partial: true)
    udp[14 + 9] = IPProtocol.udp
    var fragment = tcpFrame(payload: [1], partial: true)
    fragment[14 + 6] |= 0x20  // more fragments
    var arp = tcpFrame(payload: [1], partial: true)
    arp[13] = 0x06  // EtherType ARP
    let short = Array(tcpFrame(payload: [], partial: true)[0..<40])
    for frame in [udp, fragment, arp, short] {
      #expect(frame.withUnsafeBytes { PartialChecksum.location(inFrame: $0) } == nil)
    }
  }
}
