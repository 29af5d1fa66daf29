import Testing

@testable import NetStack

/// State + event tests (smoltcp socket/tcp.rs style): one guest interface,
/// a scripted peer, literal segments.
@Suite struct TCPStateTests {
  private static let peerISS: UInt32 = TCPPeer.capturedSynSequence

  /// A guest that knows the gateway's MAC and listens on port 80.
  private func listening(backlog: Int = 4) throws -> (NetworkInterface, TCPHandle) {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    return (interface, try interface.tcpListen(port: 80, backlog: backlog).get())
  }

  /// Listener plus the captured SYN answered: returns the SYN-ACK.
  private func synReceived() throws -> (NetworkInterface, TCPHandle, SentSegment) {
    let (interface, listener) = try listening()
    interface.receive(TCPPeer.capturedSyn, now: 10)
    let sent = interface.sentSegments()
    try #require(sent.count == 1)
    return (interface, listener, sent[0])
  }

  /// An accepted connection; returns the guest's next sequence number too.
  private func established() throws -> (NetworkInterface, TCPHandle, UInt32) {
    let (interface, listener, synAck) = try synReceived()
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: synAck.seq &+ 1, window: 502), now: 20)
    #expect(interface.drain().isEmpty)
    let connection = try interface.tcpAccept(listener).get()
    #expect(interface.tcpState(connection) == .established)
    return (interface, connection, synAck.seq &+ 1)
  }

  // MARK: LISTEN / SYN-RECEIVED

  @Test func listenSynGetsSynAckWithMSSAndWindowScale() throws {
    let (_, _, synAck) = try synReceived()
    #expect(synAck.flags == [.syn, .ack])
    #expect(synAck.ack == Self.peerISS &+ 1)
    #expect(synAck.sourcePort == 80)
    #expect(synAck.destinationPort == TCPPeer.port)
    #expect(synAck.mss == 1460)
    #expect(synAck.windowScale == 1)  // 64 KiB buffer needs one shift
    #expect(synAck.window == 0xffff)  // SYN windows are never scaled
  }

  @Test func listenSynWithoutWindowScaleGetsSynAckWithoutIt() throws {
    let (interface, _) = try listening()
    interface.receive(TCPPeer.segment(.syn, seq: 1000, options: [2, 4, 0x02, 0x18]), now: 1)
    let synAck = try #require(interface.sentSegments().first)
    #expect(synAck.windowScale == nil)
    #expect(synAck.mss == 1460)
  }

  @Test func synReceivedAckTooLowGetsReset() throws {
    let (interface, listener, synAck) = try synReceived()
    interface.receive(TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: synAck.seq), now: 20)
    let reset = try #require(interface.sentSegments().first)
    #expect(reset.flags == [.rst])
    #expect(reset.seq == synAck.seq)
    #expect(interface.tcpAccept(listener) == .failure(.wouldBlock))
  }

  @Test func synReceivedAckTooHighGetsReset() throws {
    let (interface, listener, synAck) = try synReceived()
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: synAck.seq &+ 2), now: 20)
    let reset = try #require(interface.sentSegments().first)
    #expect(reset.flags == [.rst])
    #expect(reset.seq == synAck.seq &+ 2)
    #expect(interface.tcpAccept(listener) == .failure(.wouldBlock))
  }

  @Test func synReceivedAckEstablishesAndIsAccepted() throws {
    let (interface, connection, _) = try established()
    let remote = try #require(interface.tcpRemoteEndpoint(connection))
    #expect(remote.address == Slirp.gateway)
    #expect(remote.port == TCPPeer.port)
  }

  @Test func synReceivedRstReturnsToListen() throws {
    let (interface, listener, _) = try synReceived()
    interface.receive(TCPPeer.segment(.rst, seq: Self.peerISS &+ 1), now: 20)
    #expect(interface.drain().isEmpty)
    #expect(interface.tcpAccept(listener) == .failure(.wouldBlock))
    #expect(interface.tcpBlocks.count == 1)
    // The same peer can start over.
    interface.receive(TCPPeer.capturedSyn, now: 30)
    #expect(interface.sentSegments().first?.flags == [.syn, .ack])
  }

  @Test func synReceivedRetransmitsSynAckOnTimeout() throws {
    let (interface, _, synAck) = try synReceived()
    interface.poll(now: 10 + TCPControlBlock.initialRTO)
    let again = try #require(interface.sentSegments().first)
    #expect(again.flags == [.syn, .ack])
    #expect(again.seq == synAck.seq)
  }

  @Test func listenAcceptQueueFullDropsSyn() throws {
    let (interface, _) = try listening(backlog: 1)
    interface.receive(TCPPeer.segment(.syn, seq: 1, from: 40001), now: 1)
    let synAck = try #require(interface.sentSegments().first)
    interface.receive(TCPPeer.segment(.ack, seq: 2, ack: synAck.seq &+ 1, from: 40001), now: 2)
    #expect(interface.drain().isEmpty)
    interface.receive(TCPPeer.segment(.syn, seq: 1, from: 40002), now: 3)
    #expect(interface.sentSegments().isEmpty)
  }

  @Test func listenAckGetsReset() throws {
    let (interface, _) = try listening()
    interface.receive(TCPPeer.segment(.ack, seq: 5, ack: 777), now: 1)
    let reset = try #require(interface.sentSegments().first)
    #expect(reset.flags == [.rst])
    #expect(reset.seq == 777)
  }

  // MARK: CLOSED (no socket)

  @Test func closedPortSynGetsRstAck() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    interface.receive(TCPPeer.capturedSyn, now: 1)
    let reset = try #require(interface.sentSegments().first)
    #expect(reset.flags == [.rst, .ack])
    #expect(reset.seq == 0)
    #expect(reset.ack == TCPPeer.capturedSynSequence &+ 1)
  }

  @Test func closedPortRstGetsNothing() {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    interface.receive(TCPPeer.segment(.rst, seq: 5), now: 1)
    #expect(interface.drain().isEmpty)
  }

  // MARK: SYN-SENT

  /// Connects the guest to the peer; returns the SYN.
  private func synSent() throws -> (NetworkInterface, TCPHandle, SentSegment) {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    let connection = try interface.tcpConnect(to: Slirp.gateway, port: 80, now: 1).get()
    let syn = try #require(interface.sentSegments().first)
    return (interface, connection, syn)
  }

  /// A segment from port 80 of the peer to the guest's ephemeral port.
  private func fromServer(
    _ flags: TCPFlags, seq: UInt32, ack: UInt32, to syn: SentSegment, options: [UInt8] = [],
    payload: [UInt8] = []
  ) -> [UInt8] {
    TCPPeer.segment(
      flags, seq: seq, ack: ack, options: options, payload: payload, from: 80,
      to: syn.sourcePort)
  }

  @Test func synSentSendsSynWithOptions() throws {
    let (interface, connection, syn) = try synSent()
    #expect(syn.flags == [.syn])
    #expect(syn.mss == 1460)
    #expect(syn.windowScale == 1)
    #expect(syn.sourcePort >= 49152)
    #expect(interface.tcpState(connection) == .synSent)
  }

  @Test func synSentSynAckEstablishesAndAcks() throws {
    let (interface, connection, syn) = try synSent()
    interface.receive(
      fromServer(
        [.syn, .ack], seq: 5000, ack: syn.seq &+ 1, to: syn, options: [2, 4, 0x05, 0xb4]),
      now: 5)
    let ack = try #require(interface.sentSegments().first)
    #expect(ack.flags == [.ack])
    #expect(ack.seq == syn.seq &+ 1)
    #expect(ack.ack == 5001)
    #expect(interface.tcpState(connection) == .established)
  }

  @Test func synSentRstWithAcceptableAckIsRefused() throws {
    let (interface, connection, syn) = try synSent()
    interface.receive(fromServer([.rst, .ack], seq: 0, ack: syn.seq &+ 1, to: syn), now: 5)
    #expect(interface.tcpState(connection) == .closed)
    var buffer = [UInt8](repeating: 0, count: 8)
    let result = buffer.withUnsafeMutableBytes { interface.tcpReceive(connection, into: $0) }
    #expect(result == .failure(.connectionRefused))
    #expect(interface.tcpError(connection) == .connectionRefused)
  }

  @Test func synSentSynAckWithBadAckGetsReset() throws {
    let (interface, connection, syn) = try synSent()
    interface.receive(fromServer([.syn, .ack], seq: 5000, ack: syn.seq &+ 7, to: syn), now: 5)
    let reset = try #require(interface.sentSegments().first)
    #expect(reset.flags == [.rst])
    #expect(reset.seq == syn.seq &+ 7)
    #expect(interface.tcpState(connection) == .synSent)
  }

  @Test func synSentGivesUpAfterRetransmissions() throws {
    let (interface, connection, _) = try synSent()
    var now: UInt64 = 1
    var syns = 1
    while interface.tcpState(connection) == .synSent, let next = interface.nextPollTime(now: now) {
      now = next
      interface.receive(Slirp.arpRequestForGuest, now: now)  // keep the gateway's MAC fresh
      interface.poll(now: now)
      syns += interface.sentSegments().filter { $0.flags == [.syn] }.count
    }
    #expect(syns == TCPControlBlock.maximumSynRetransmissions + 1)
    var buffer = [UInt8](repeating: 0, count: 8)
    let result = buffer.withUnsafeMutableBytes { interface.tcpReceive(connection, into: $0) }
    #expect(result == .failure(.timedOut))
  }

  // MARK: ESTABLISHED

  @Test func establishedDataIsAckedAfterDelay() throws {
    let (interface, connection, iss) = try established()
    interface.receive(
      TCPPeer.segment(
        [.ack, .psh], seq: Self.peerISS &+ 1, ack: iss, payload: Array("GET /".utf8)),
      now: 30)
    #expect(interface.drain().isEmpty)
    #expect(interface.nextPollTime(now: 30) == 30 + TCPControlBlock.ackDelay)
    interface.poll(now: 30 + TCPControlBlock.ackDelay)
    let ack = try #require(interface.sentSegments().first)
    #expect(ack.ack == Self.peerISS &+ 6)
    var buffer = [UInt8](repeating: 0, count: 16)
    let count = try buffer.withUnsafeMutableBytes {
      try interface.tcpReceive(connection, into: $0).get()
    }
    #expect(Array(buffer[0..<count]) == Array("GET /".utf8))
  }

  @Test func establishedOutOfOrderDataGetsDuplicateAckThenHoleFillAcksAll() throws {
    let (interface, connection, iss) = try established()
    let start = Self.peerISS &+ 1
    interface.receive(
      TCPPeer.segment(.ack, seq: start &+ 3, ack: iss, payload: [4, 5, 6]), now: 30)
    #expect(interface.sentSegments().first?.ack == start)
    interface.receive(TCPPeer.segment(.ack, seq: start, ack: iss, payload: [1, 2, 3]), now: 31)
    #expect(interface.sentSegments().first?.ack == start &+ 6)
    var buffer = [UInt8](repeating: 0, count: 16)
    let count = try buffer.withUnsafeMutableBytes {
      try interface.tcpReceive(connection, into: $0).get()
    }
    #expect(Array(buffer[0..<count]) == [1, 2, 3, 4, 5, 6])
  }

  @Test func establishedRstExactlyAtRcvNxtResets() throws {
    let (interface, connection, _) = try established()
    interface.receive(TCPPeer.segment(.rst, seq: Self.peerISS &+ 1), now: 30)
    #expect(interface.tcpState(connection) == .closed)
    var buffer = [UInt8](repeating: 0, count: 8)
    let result = buffer.withUnsafeMutableBytes { interface.tcpReceive(connection, into: $0) }
    #expect(result == .failure(.connectionReset))
  }

  @Test func establishedRstInWindowGetsChallengeAck() throws {
    let (interface, connection, iss) = try established()
    interface.receive(TCPPeer.segment(.rst, seq: Self.peerISS &+ 100), now: 30)
    let challenge = try #require(interface.sentSegments().first)
    #expect(challenge.flags == [.ack])
    #expect(challenge.seq == iss)
    #expect(challenge.ack == Self.peerISS &+ 1)
    #expect(interface.tcpState(connection) == .established)
  }

  @Test func establishedRstOutOfWindowIsIgnored() throws {
    let (interface, connection, _) = try established()
    interface.receive(TCPPeer.segment(.rst, seq: Self.peerISS &- 100_000), now: 30)
    #expect(interface.drain().isEmpty)
    #expect(interface.tcpState(connection) == .established)
  }

  @Test func establishedSynGetsChallengeAck() throws {
    let (interface, connection, _) = try established()
    interface.receive(TCPPeer.segment(.syn, seq: Self.peerISS &+ 1), now: 30)
    #expect(interface.sentSegments().first?.flags == [.ack])
    #expect(interface.tcpState(connection) == .established)
  }

  @Test func establishedAckOfUnsentDataGetsAckAndIsDropped() throws {
    let (interface, connection, iss) = try established()
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: iss &+ 1000, payload: [9]), now: 30)
    let ack = try #require(interface.sentSegments().first)
    #expect(ack.ack == Self.peerISS &+ 1)  // the data was not taken
    #expect(interface.tcpReceivable(connection) == 0)
  }

  @Test func establishedSendRetransmitsWithBackoffThenTimesOut() throws {
    let (interface, connection, iss) = try established()
    _ = [UInt8](repeating: 7, count: 100).withUnsafeBytes {
      interface.tcpSend(connection, $0, now: 40)
    }
    let first = try #require(interface.sentSegments().first)
    #expect(first.seq == iss)
    #expect(first.payload.count == 100)
    var now: UInt64 = 40
    var gaps: [UInt64] = []
    while interface.tcpState(connection) == .established,
      let next = interface.nextPollTime(now: now)
    {
      gaps.append(next - now)
      now = next
      interface.receive(Slirp.arpRequestForGuest, now: now)  // keep the gateway's MAC fresh
      interface.poll(now: now)
      for segment in interface.sentSegments() { #expect(segment.seq == iss) }
    }
    // A tail loss probe first (RFC 8985 §7.2: 2 SRTT of the handshake's 10 ms
    // plus the peer's delayed ACK, for one segment in flight), then the RTO
    // at its floor, doubling.
    let floor = TCPControlBlock.minimumRTO
    #expect(gaps.first == 2 * 10 + TCPControlBlock.ackDelay)
    #expect(Array(gaps.dropFirst().prefix(4)) == [floor, 2 * floor, 4 * floor, 8 * floor])
    #expect(gaps.last == TCPControlBlock.maximumRTO)
    #expect(gaps.count == TCPControlBlock.maximumRetransmissions + 2)
    #expect(interface.tcpCounters.tailLossProbes == 1)
    var buffer = [UInt8](repeating: 0, count: 8)
    let result = buffer.withUnsafeMutableBytes { interface.tcpReceive(connection, into: $0) }
    #expect(result == .failure(.timedOut))
  }

  @Test func establishedWithoutSackThreeDuplicateAcksTriggerFastRetransmit() throws {
    // The captured SYN without SACK-Permitted: NewReno's duplicate ACKs (RFC 5681).
    let (interface, listener) = try listening()
    interface.receive(
      TCPPeer.segment(.syn, seq: Self.peerISS, options: [2, 4, 0x05, 0xb4, 1, 3, 3, 7]), now: 10)
    let synAck = try #require(interface.sentSegments().first)
    #expect(!synAck.sackPermitted)
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: synAck.seq &+ 1, window: 502), now: 20)
    let connection = try interface.tcpAccept(listener).get()
    let iss = synAck.seq &+ 1
    let data = [UInt8](repeating: 1, count: 1460 * 4)
    _ = data.withUnsafeBytes { interface.tcpSend(connection, $0, now: 40) }
    let burst = interface.sentSegments()
    #expect(burst.count == 4)  // all of it: the initial window is 10 segments (RFC 6928)
    let duplicate = TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: iss, window: 502)
    interface.receive(duplicate, now: 41)
    interface.receive(duplicate, now: 42)
    #expect(interface.sentSegments().isEmpty)
    interface.receive(duplicate, now: 43)
    let resent = try #require(interface.sentSegments().first)
    #expect(resent.seq == iss)
    #expect(resent.payload.count == 1460)
  }

  @Test func zeroWindowIsProbedWithOneByte() throws {
    let (interface, connection, iss) = try established()
    interface.receive(TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: iss, window: 0), now: 30)
    _ = [UInt8](repeating: 3, count: 10).withUnsafeBytes {
      interface.tcpSend(connection, $0, now: 31)
    }
    #expect(interface.sentSegments().isEmpty)
    let probeTime = try #require(interface.nextPollTime(now: 31))
    interface.poll(now: probeTime)
    let probe = try #require(interface.sentSegments().first)
    #expect(probe.seq == iss)
    #expect(probe.payload.count == 1)
    // The window opens: the rest follows.
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: iss &+ 1, window: 100), now: probeTime + 1)
    let rest = try #require(interface.sentSegments().first)
    #expect(rest.seq == iss &+ 1)
    #expect(rest.payload.count == 9)
  }

  // MARK: Closing

  @Test func closeWaitAfterPeerFinThenLastAckThenClosedAndFreed() throws {
    let (interface, connection, iss) = try established()
    interface.receive(TCPPeer.segment([.fin, .ack], seq: Self.peerISS &+ 1, ack: iss), now: 30)
    #expect(interface.sentSegments().first?.ack == Self.peerISS &+ 2)
    #expect(interface.tcpState(connection) == .closeWait)
    var buffer = [UInt8](repeating: 0, count: 8)
    #expect(
      buffer.withUnsafeMutableBytes { interface.tcpReceive(connection, into: $0) } == .success(0))
    interface.tcpClose(connection, now: 31)
    let fin = try #require(interface.sentSegments().first)
    #expect(fin.flags == [.fin, .ack])
    #expect(interface.tcpState(connection) == .lastAck)
    interface.receive(TCPPeer.segment(.ack, seq: Self.peerISS &+ 2, ack: iss &+ 1), now: 32)
    #expect(interface.tcpState(connection) == .closed)
    #expect(interface.tcpBlocks.count == 1)  // the listener
  }

  @Test func finWait2ThenPeerFinEntersTimeWaitWhichReAcksRetransmittedFin() throws {
    let (interface, connection, iss) = try established()
    interface.tcpClose(connection, now: 30)
    #expect(interface.sentSegments().first?.flags == [.fin, .ack])
    #expect(interface.tcpState(connection) == .finWait1)
    interface.receive(TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: iss &+ 1), now: 31)
    #expect(interface.tcpState(connection) == .finWait2)
    let peerFin = TCPPeer.segment([.fin, .ack], seq: Self.peerISS &+ 1, ack: iss &+ 1)
    interface.receive(peerFin, now: 32)
    #expect(interface.tcpState(connection) == .timeWait)
    #expect(interface.sentSegments().first?.ack == Self.peerISS &+ 2)
    interface.receive(peerFin, now: 40_000)
    #expect(interface.sentSegments().first?.ack == Self.peerISS &+ 2)
    // The retransmitted FIN restarted the 2 MSL timer.
    #expect(
      interface.nextPollTime(now: 40_000) == 40_000 + 2 * TCPControlBlock.maximumSegmentLifetime)
    interface.poll(now: 40_000 + 2 * TCPControlBlock.maximumSegmentLifetime)
    #expect(interface.tcpState(connection) == .closed)
  }

  /// We closed first, the peer acked and closed too: TIME-WAIT, nothing queued.
  private func timeWait() throws -> (NetworkInterface, TCPHandle) {
    let (interface, connection, iss) = try established()
    interface.tcpClose(connection, now: 30)
    _ = interface.drain()
    interface.receive(TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: iss &+ 1), now: 31)
    interface.receive(
      TCPPeer.segment([.fin, .ack], seq: Self.peerISS &+ 1, ack: iss &+ 1), now: 32)
    #expect(interface.tcpState(connection) == .timeWait)
    _ = interface.drain()
    return (interface, connection)
  }

  @Test func timeWaitNewSynBeyondOldSequenceOpensANewConnection() throws {
    let (interface, connection) = try timeWait()
    // The client reuses its port at once with a higher initial sequence number.
    let newISS = Self.peerISS &+ 100_000
    interface.receive(TCPPeer.segment(.syn, seq: newISS, ack: 0), now: 1_000)
    let synAck = try #require(interface.sentSegments().first)
    #expect(synAck.flags == [.syn, .ack])
    #expect(synAck.ack == newISS &+ 1)
    #expect(interface.tcpState(connection) == .closed)
  }

  @Test func timeWaitOldSynGetsChallengeAckNotANewConnection() throws {
    let (interface, connection) = try timeWait()
    interface.receive(TCPPeer.segment(.syn, seq: Self.peerISS, ack: 0), now: 1_000)
    let answer = try #require(interface.sentSegments().first)
    #expect(answer.flags == [.ack])
    #expect(interface.tcpState(connection) == .timeWait)
  }

  @Test func simultaneousCloseGoesThroughClosing() throws {
    let (interface, connection, iss) = try established()
    interface.tcpClose(connection, now: 30)
    _ = interface.drain()
    interface.receive(TCPPeer.segment([.fin, .ack], seq: Self.peerISS &+ 1, ack: iss), now: 31)
    #expect(interface.tcpState(connection) == .closing)
    interface.receive(TCPPeer.segment(.ack, seq: Self.peerISS &+ 2, ack: iss &+ 1), now: 32)
    #expect(interface.tcpState(connection) == .timeWait)
  }

  @Test func abortSendsRstAndFreesAtOnce() throws {
    let (interface, connection, iss) = try established()
    interface.tcpAbort(connection, now: 30)
    let reset = try #require(interface.sentSegments().first)
    #expect(reset.flags == [.rst])
    #expect(reset.seq == iss)
    #expect(interface.tcpState(connection) == .closed)
    #expect(interface.tcpBlocks.count == 1)
  }

  @Test func closedListenerResetsUnacceptedConnections() throws {
    let (interface, listener, _) = try synReceived()
    interface.tcpClose(listener, now: 30)
    #expect(interface.sentSegments().first?.flags == [.rst])
    #expect(interface.tcpBlocks.isEmpty)
    #expect(throws: Never.self) { try interface.tcpListen(port: 80, backlog: 1).get() }
  }
}

extension TCPStateTests {
  @Test func fullReceiveWindowAnswersProbeWithZeroWindowAck() throws {
    let (interface, listener, synAck) = try synReceivedWithSmallBuffer()
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISSValue &+ 1, ack: synAck.seq &+ 1), now: 20)
    let connection = try interface.tcpAccept(listener).get()
    let start = Self.peerISSValue &+ 1
    interface.receive(
      TCPPeer.segment(
        .ack, seq: start, ack: synAck.seq &+ 1, payload: [UInt8](repeating: 1, count: 1024)),
      now: 30)
    interface.receive(
      TCPPeer.segment(.ack, seq: start &+ 1024, ack: synAck.seq &+ 1, payload: [9]), now: 31)
    let ack = try #require(interface.sentSegments().last)
    #expect(ack.ack == start &+ 1024)
    #expect(ack.window == 0)
    // Reading opens the window again with an update.
    var buffer = [UInt8](repeating: 0, count: 1024)
    _ = buffer.withUnsafeMutableBytes { interface.tcpReceive(connection, into: $0) }
    let update = try #require(interface.sentSegments().last)
    #expect(update.window > 0)
  }

  static var peerISSValue: UInt32 { TCPPeer.capturedSynSequence }

  /// A listener whose connections have 1 KiB buffers, after the captured SYN.
  func synReceivedWithSmallBuffer() throws -> (NetworkInterface, TCPHandle, SentSegment) {
    let interface = Slirp.guestInterface()
    interface.tcpBufferSize = 1024
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    let listener = try interface.tcpListen(port: 80, backlog: 1).get()
    interface.receive(TCPPeer.capturedSyn, now: 10)
    let synAck = try #require(interface.sentSegments().first)
    #expect(synAck.windowScale == 0)
    #expect(synAck.window == 1024)
    return (interface, listener, synAck)
  }
}
