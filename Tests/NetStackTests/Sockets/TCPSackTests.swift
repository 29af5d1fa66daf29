import Testing

@testable import NetStack

/// SACK negotiation, SACK blocks in our ACKs and SACK-driven retransmission,
/// with the scripted peer (TCPPeer) and literal segments.
@Suite struct TCPSackTests {
  private static let peerISS: UInt32 = TCPPeer.capturedSynSequence
  /// SACK-Permitted, padded with two NOPs.
  private static let sackPermitted: [UInt8] = [1, 1, 4, 2]

  /// The guest accepted the peer's captured SYN (which offers SACK); returns
  /// the connection and the guest's next sequence number.
  private func established() throws -> (NetworkInterface, TCPHandle, UInt32) {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    let listener = try interface.tcpListen(port: 80, backlog: 4).get()
    interface.receive(TCPPeer.capturedSyn, now: 10)
    let synAck = try #require(interface.sentSegments().first)
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: synAck.seq &+ 1, window: 502), now: 20)
    let connection = try interface.tcpAccept(listener).get()
    return (interface, connection, synAck.seq &+ 1)
  }

  private func sack(_ blocks: [(UInt32, UInt32)]) -> [UInt8] {
    var options: [UInt8] = [1, 1, 5, UInt8(2 + 8 * blocks.count)]
    for (start, end) in blocks {
      options.appendNetUInt32(start)
      options.appendNetUInt32(end)
    }
    return options
  }

  @Test func listenSynWithSackPermittedGetsSynAckWithIt() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = try interface.tcpListen(port: 80, backlog: 4).get()
    interface.receive(TCPPeer.capturedSyn, now: 1)
    let synAck = try #require(interface.sentSegments().first)
    #expect(synAck.flags == [.syn, .ack])
    #expect(synAck.sackPermitted)
  }

  @Test func listenSynWithoutSackPermittedGetsSynAckWithoutIt() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = try interface.tcpListen(port: 80, backlog: 4).get()
    interface.receive(TCPPeer.segment(.syn, seq: 1000, options: [2, 4, 0x05, 0xb4]), now: 1)
    let synAck = try #require(interface.sentSegments().first)
    #expect(!synAck.sackPermitted)
  }

  @Test func establishedOutOfOrderSegmentsGetAcksWithLatestBlockFirst() throws {
    let (interface, _, iss) = try established()
    let next = Self.peerISS &+ 1
    interface.receive(
      TCPPeer.segment(
        .ack, seq: next &+ 1000, ack: iss, window: 502, payload: .init(repeating: 1, count: 500)),
      now: 30)
    let first = try #require(interface.sentSegments().first)
    #expect(first.ack == next)
    #expect(first.sackBlocks == [TCPSackBlock(start: next &+ 1000, end: next &+ 1500)])
    interface.receive(
      TCPPeer.segment(
        .ack, seq: next &+ 2000, ack: iss, window: 502, payload: .init(repeating: 2, count: 100)),
      now: 31)
    let second = try #require(interface.sentSegments().first)
    #expect(
      second.sackBlocks == [
        TCPSackBlock(start: next &+ 2000, end: next &+ 2100),
        TCPSackBlock(start: next &+ 1000, end: next &+ 1500),
      ])
  }

  @Test func establishedHoleFilledGetsAckWithoutBlocks() throws {
    let (interface, _, iss) = try established()
    let next = Self.peerISS &+ 1
    interface.receive(
      TCPPeer.segment(
        .ack, seq: next &+ 100, ack: iss, window: 502, payload: .init(repeating: 1, count: 100)),
      now: 30)
    _ = interface.drain()
    interface.receive(
      TCPPeer.segment(
        .ack, seq: next, ack: iss, window: 502, payload: .init(repeating: 1, count: 100)),
      now: 31)
    let ack = try #require(interface.sentSegments().first)
    #expect(ack.ack == next &+ 200)
    #expect(ack.sackBlocks.isEmpty)
  }

  @Test func establishedAckSackingThreeSegmentsRetransmitsTheHole() throws {
    let (interface, connection, iss) = try established()
    let data = [UInt8](repeating: 1, count: 1460 * 6)
    _ = data.withUnsafeBytes { interface.tcpSend(connection, $0, now: 40) }
    #expect(interface.sentSegments().count == 6)
    // The first segment was lost; the peer holds the next three.
    let ack = TCPPeer.segment(
      .ack, seq: Self.peerISS &+ 1, ack: iss, window: 502,
      options: sack([(iss &+ 1460, iss &+ 4 * 1460)]))
    interface.receive(ack, now: 50)
    let resent = try #require(interface.sentSegments().first)
    #expect(resent.seq == iss)
    #expect(resent.payload.count == 1460)
    #expect(interface.tcpCounters.fastRetransmits == 1)
    #expect(interface.tcpCounters.recoveries == 1)
    #expect(interface.tcpCounters.timeouts == 0)
  }

  @Test func establishedAckSackingTwoSegmentsSendsNewDataNotARetransmission() throws {
    let (interface, connection, iss) = try established()
    let data = [UInt8](repeating: 1, count: 1460 * 12)
    _ = data.withUnsafeBytes { interface.tcpSend(connection, $0, now: 40) }
    #expect(interface.sentSegments().count == 10)  // the initial window (RFC 6928)
    let ack = TCPPeer.segment(
      .ack, seq: Self.peerISS &+ 1, ack: iss, window: 502,
      options: sack([(iss &+ 1460, iss &+ 2 * 1460)]))
    interface.receive(ack, now: 50)
    // Limited transmit (RFC 3042): one new segment for the first duplicate.
    let sent = interface.sentSegments()
    #expect(sent.map(\.seq) == [iss &+ 10 * 1460])
    #expect(interface.tcpCounters.recoveries == 0)
  }
}
