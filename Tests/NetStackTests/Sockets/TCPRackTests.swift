import Testing

@testable import NetStack

/// RACK-TLP (RFC 8985), D-SACK (RFC 2883) and the undo of spurious
/// recoveries, with the scripted peer (TCPPeer) and literal segments. The
/// handshake's round trip is 10 ms, so SRTT and the minimum RTT start at 10.
@Suite struct TCPRackTests {
  private static let peerISS: UInt32 = TCPPeer.capturedSynSequence
  private static let mss = 1460

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

  /// An ACK from the peer for `ack`, SACKing `blocks` (the first may be a D-SACK).
  private func ack(_ ack: UInt32, sack blocks: [(UInt32, UInt32)] = []) -> [UInt8] {
    var options: [UInt8] = []
    if !blocks.isEmpty {
      options = [1, 1, 5, UInt8(2 + 8 * blocks.count)]
      for (start, end) in blocks {
        options.appendNetUInt32(start)
        options.appendNetUInt32(end)
      }
    }
    return TCPPeer.segment(
      .ack, seq: Self.peerISS &+ 1, ack: ack, window: 502, options: options)
  }

  /// Sequence number of the guest's segment `index` (all full-sized).
  private func segment(_ index: Int, _ iss: UInt32) -> UInt32 {
    iss &+ UInt32(index * Self.mss)
  }

  private func send(_ interface: NetworkInterface, _ connection: TCPHandle, segments: Int) {
    let data = [UInt8](repeating: 1, count: Self.mss * segments)
    _ = data.withUnsafeBytes { interface.tcpSend(connection, $0, now: 40) }
  }

  @Test func establishedTailLossIsRepairedByProbeWithoutTimeout() throws {
    let (interface, connection, iss) = try established()
    send(interface, connection, segments: 6)
    #expect(interface.sentSegments().count == 6)
    // The last segment was lost: the peer acknowledges the first five.
    interface.receive(ack(segment(5, iss)), now: 50)
    #expect(interface.sentSegments().isEmpty)
    // PTO: 2 SRTT, plus a delayed ACK for the one segment in flight.
    let probeAt = try #require(interface.nextPollTime(now: 50))
    #expect(probeAt == 50 + 2 * 10 + TCPControlBlock.ackDelay)
    interface.poll(now: probeAt)
    let probe = try #require(interface.sentSegments().first)
    #expect(probe.seq == segment(5, iss))
    #expect(probe.payload.count == Self.mss)
    interface.receive(ack(segment(6, iss)), now: probeAt + 10)
    let counters = interface.tcpCounters
    #expect(counters.tailLossProbes == 1)
    #expect(counters.timeouts == 0)
    #expect(counters.recoveries == 0)
    #expect(interface.nextPollTime(now: probeAt + 10) == nil)
  }

  @Test func recoveryLostRetransmissionIsDetectedByRackTimer() throws {
    let (interface, connection, iss) = try established()
    send(interface, connection, segments: 14)
    #expect(interface.sentSegments().count == 10)  // the initial window
    // Segment 1 arrives after segment 2 (reordering: RACK's window is now
    // min RTT / 4 = 2 ms); segment 0 was lost. Limited transmit sends two.
    interface.receive(ack(iss, sack: [(segment(2, iss), segment(3, iss))]), now: 50)
    interface.receive(ack(iss, sack: [(segment(1, iss), segment(3, iss))]), now: 50)
    #expect(interface.sentSegments().map(\.seq) == [segment(10, iss), segment(11, iss)])
    // Segment 0, sent at 40, is late at 40 + RACK.rtt 10 + 2 + 1 ms of clock slack.
    #expect(interface.nextPollTime(now: 50) == 53)
    interface.poll(now: 53)
    #expect(interface.sentSegments().map(\.seq) == [iss])
    #expect(interface.tcpCounters.recoveries == 1)
    // The rest of the first window arrives; cwnd (half of 12) lets new data go.
    interface.receive(ack(iss, sack: [(segment(1, iss), segment(10, iss))]), now: 54)
    #expect(interface.sentSegments().map(\.seq) == [segment(12, iss), segment(13, iss)])
    // Segment 12, sent after the retransmission, arrives; the
    // retransmission does not: late at 53 + 10 + 2 + 1.
    interface.receive(ack(iss, sack: [(segment(1, iss), segment(13, iss))]), now: 64)
    #expect(interface.sentSegments().isEmpty)
    #expect(interface.nextPollTime(now: 64) == 66)
    interface.poll(now: 66)
    #expect(interface.sentSegments().map(\.seq) == [iss])
    let counters = interface.tcpCounters
    #expect(counters.fastRetransmits == 2)
    #expect(counters.recoveries == 1)
    #expect(counters.timeouts == 0)
  }

  @Test func establishedDuplicateSegmentGetsDuplicateSackBlock() throws {
    let (interface, _, iss) = try established()
    let next = Self.peerISS &+ 1
    let data = TCPPeer.segment(
      .ack, seq: next, ack: iss, window: 502, payload: .init(repeating: 1, count: 100))
    interface.receive(data, now: 30)
    _ = interface.drain()  // a delayed ACK, if any
    interface.receive(data, now: 31)
    let ack = try #require(interface.sentSegments().first)
    #expect(ack.ack == next &+ 100)
    #expect(ack.sackBlocks == [TCPSackBlock(start: next, end: next &+ 100)])
    // Reported once.
    interface.receive(
      TCPPeer.segment(
        .ack, seq: next &+ 100, ack: iss, window: 502, payload: .init(repeating: 2, count: 100)),
      now: 32)
    interface.poll(now: 100)
    #expect(interface.sentSegments().allSatisfy { $0.sackBlocks.isEmpty })
  }

  @Test func establishedDuplicateOutOfOrderSegmentGetsDuplicateSackThenItsBlock() throws {
    let (interface, _, iss) = try established()
    let next = Self.peerISS &+ 1
    let data = TCPPeer.segment(
      .ack, seq: next &+ 1000, ack: iss, window: 502, payload: .init(repeating: 1, count: 500))
    interface.receive(data, now: 30)
    _ = interface.drain()
    interface.receive(data, now: 31)
    let ack = try #require(interface.sentSegments().first)
    #expect(ack.ack == next)
    let block = TCPSackBlock(start: next &+ 1000, end: next &+ 1500)
    #expect(ack.sackBlocks == [block, block])
  }

  @Test func recoverySpuriousFastRetransmitIsUndoneByDuplicateSack() throws {
    let (interface, connection, iss) = try established()
    let block = try #require(interface.tcpBlocks[connection.id])
    send(interface, connection, segments: 10)
    let window = block.congestionWindow
    _ = interface.drain()
    // Segment 0 is only late: three segments above it are SACKed first.
    interface.receive(ack(iss, sack: [(segment(1, iss), segment(4, iss))]), now: 50)
    #expect(interface.sentSegments().map(\.seq) == [iss])
    #expect(interface.tcpCounters.recoveries == 1)
    #expect(block.congestionWindow < window)
    // The original arrives, then the retransmission: a D-SACK below the ACK.
    interface.receive(ack(segment(10, iss)), now: 51)
    interface.receive(ack(segment(10, iss), sack: [(iss, segment(1, iss))]), now: 60)
    let counters = interface.tcpCounters
    #expect(counters.spuriousRetransmissions == 1)
    #expect(counters.recoveriesUndone == 1)
    #expect(block.congestionWindow >= window)
  }

  @Test func recoveryDuplicateSackOfAnUnretransmittedSegmentUndoesNothing() throws {
    let (interface, connection, iss) = try established()
    let block = try #require(interface.tcpBlocks[connection.id])
    send(interface, connection, segments: 10)
    _ = interface.drain()
    interface.receive(ack(iss, sack: [(segment(1, iss), segment(4, iss))]), now: 50)
    interface.receive(ack(segment(10, iss)), now: 61)
    let window = block.congestionWindow
    // The network duplicated segment 5, which was sent once.
    interface.receive(ack(segment(10, iss), sack: [(segment(5, iss), segment(6, iss))]), now: 62)
    #expect(interface.tcpCounters.recoveriesUndone == 0)
    #expect(block.congestionWindow == window)
  }
}
