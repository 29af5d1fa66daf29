import Testing

@testable import NetStack

/// TCP against peers and routers that lie: a tiny MSS (CVE-2019-11479), RST
/// floods (RFC 5961), ICMP unreachable and "fragmentation needed" (RFC 5927,
/// RFC 1191).
@Suite struct TCPHostilePeerTests {
  private static let peerISS: UInt32 = 5000

  /// An accepted connection from the peer whose SYN announced `mss`; returns
  /// the guest's next sequence number too.
  private func established(mss: UInt16 = 1460) throws -> (NetworkInterface, TCPHandle, UInt32) {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    let listener = try interface.tcpListen(port: 80, backlog: 4).get()
    interface.receive(
      TCPPeer.segment(
        .syn, seq: Self.peerISS, options: [2, 4, UInt8(mss >> 8), UInt8(mss & 0xff)]),
      now: 1)
    let synAck = try #require(interface.sentSegments().first)
    interface.receive(
      TCPPeer.segment(.ack, seq: Self.peerISS &+ 1, ack: synAck.seq &+ 1), now: 2)
    let connection = try interface.tcpAccept(listener).get()
    return (interface, connection, synAck.seq &+ 1)
  }

  /// A guest connecting to the gateway's port 80; returns the SYN's frame.
  private func synSent() throws -> (NetworkInterface, TCPHandle, [UInt8]) {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    let connection = try interface.tcpConnect(to: Slirp.gateway, port: 80, now: 1).get()
    let frames = interface.drain()
    try #require(frames.count == 1)
    return (interface, connection, frames[0])
  }

  /// ICMP destination unreachable `code` from the gateway quoting the IPv4
  /// header and first 8 transport bytes of `frame` (one the guest sent).
  private func unreachable(code: UInt8, mtu: UInt16 = 0, quoting frame: [UInt8]) -> [UInt8] {
    let quote = Array(frame[14..<14 + 28])
    var icmp: [UInt8] = [3, code, 0, 0, 0, 0, UInt8(mtu >> 8), UInt8(mtu & 0xff)] + quote
    icmp = icmp.withChecksum(over: 0..<icmp.count, at: 2)
    var packet = Slirp.guestMAC.octets + Slirp.gatewayMAC.octets + [0x08, 0x00]
    let total = 20 + icmp.count
    packet += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 64, 1, 0, 0]
    packet += Slirp.gateway.octets + Slirp.guest.octets
    return packet.withChecksum(over: 14..<34, at: 24) + icmp
  }

  // MARK: MSS floor

  @Test func synWithMSSOneGetsSegmentsOfFortyEightBytes() throws {
    let (interface, connection, _) = try established(mss: 1)
    // Four segments' worth: within any initial window.
    let data = [UInt8](repeating: 0x61, count: 4 * TCPControlBlock.minimumSendMSS)
    _ = data.withUnsafeBytes { interface.tcpSend(connection, $0, now: 3) }
    let segments = interface.sentSegments().filter { !$0.payload.isEmpty }
    #expect(segments.count == 4)
    #expect(segments.allSatisfy { $0.payload.count == TCPControlBlock.minimumSendMSS })
  }

  // MARK: RFC 5961

  @Test func establishedInWindowRstWithWrongSeqGetsChallengeAck() throws {
    let (interface, connection, iss) = try established()
    interface.receive(TCPPeer.segment(.rst, seq: Self.peerISS &+ 1000), now: 3)
    let challenge = try #require(interface.sentSegments().first)
    #expect(challenge.flags == [.ack])
    #expect(challenge.seq == iss)
    #expect(challenge.ack == Self.peerISS &+ 1)
    #expect(interface.tcpState(connection) == .established)
  }

  @Test func establishedRstFloodGetsChallengeAcksOnlyWithinTheLimit() throws {
    let (interface, connection, _) = try established()
    interface.challengeACKLimit = 10
    func challenges(at now: UInt64) -> Int {
      for offset in 0..<100 {
        interface.receive(TCPPeer.segment(.rst, seq: Self.peerISS &+ 2 &+ UInt32(offset)), now: now)
      }
      return interface.sentSegments().filter { $0.flags == [.ack] }.count
    }
    let first = challenges(at: 3)
    #expect(first >= 10 && first < 20)
    #expect(challenges(at: 500) == 0)  // the same second
    let next = challenges(at: 1_003)
    #expect(next >= 10 && next < 20)
    #expect(interface.tcpState(connection) == .established)
  }

  @Test func establishedDataWithAckFarBelowSndUnaIsDiscardedWithChallengeAck() throws {
    let (interface, connection, iss) = try established()
    interface.receive(
      TCPPeer.segment(
        [.ack, .psh], seq: Self.peerISS &+ 1, ack: iss &- 200_000, payload: Array("evil".utf8)),
      now: 3)
    #expect(interface.tcpReceivable(connection) == 0)
    let challenge = try #require(interface.sentSegments().first)
    #expect(challenge.flags == [.ack])
    #expect(challenge.ack == Self.peerISS &+ 1)
    // An old but plausible acknowledgment still delivers the data.
    interface.receive(
      TCPPeer.segment(
        [.ack, .psh], seq: Self.peerISS &+ 1, ack: iss &- 1_000, payload: Array("good".utf8)),
      now: 4)
    #expect(interface.tcpReceivable(connection) == 4)
  }

  // MARK: ICMP

  @Test func synSentPortUnreachableIsRefused() throws {
    let (interface, connection, syn) = try synSent()
    interface.receive(unreachable(code: 3, quoting: syn), now: 2)
    #expect(interface.tcpState(connection) == .closed)
    #expect(interface.tcpError(connection) == .connectionRefused)
  }

  @Test func synSentHostUnreachableIsHostUnreachable() throws {
    let (interface, connection, syn) = try synSent()
    interface.receive(unreachable(code: 1, quoting: syn), now: 2)
    #expect(interface.tcpState(connection) == .closed)
    #expect(interface.tcpError(connection) == .hostUnreachable)
    #expect(interface.nextPollTime(now: 2) == nil)  // no SYN retries left behind
  }

  @Test func synSentUnreachableQuotingAnotherSequenceIsIgnored() throws {
    let (interface, connection, syn) = try synSent()
    var forged = syn
    forged[14 + 20 + 4] ^= 0x80  // a sequence number not in flight
    interface.receive(unreachable(code: 1, quoting: forged), now: 2)
    #expect(interface.tcpState(connection) == .synSent)
  }

  @Test func establishedHostUnreachableIsASoftErrorAndIgnored() throws {
    let (interface, connection, _) = try established()
    _ = [UInt8](repeating: 1, count: 100).withUnsafeBytes {
      interface.tcpSend(connection, $0, now: 3)
    }
    let frames = interface.drain()
    try #require(frames.count == 1)
    interface.receive(unreachable(code: 1, quoting: frames[0]), now: 4)
    #expect(interface.tcpState(connection) == .established)
  }

  @Test func fragmentationNeededLowersMSSAndResends() throws {
    let (interface, connection, iss) = try established()
    let data = [UInt8](repeating: 0x62, count: 3000)
    _ = data.withUnsafeBytes { interface.tcpSend(connection, $0, now: 3) }
    let frames = interface.drain()
    try #require(frames.count >= 2)
    #expect(SentSegment(frames[0])?.payload.count == 1460)
    interface.receive(unreachable(code: 4, mtu: 1000, quoting: frames[0]), now: 4)
    let resent = interface.sentSegments()
    #expect(resent.first?.seq == iss)
    #expect(!resent.isEmpty && resent.allSatisfy { $0.payload.count <= 960 })
    #expect(resent.first?.payload.count == 960)
  }

  @Test func fragmentationNeededBelowTheFloorStopsAt552() throws {
    let (interface, connection, _) = try established()
    let data = [UInt8](repeating: 0x63, count: 3000)
    _ = data.withUnsafeBytes { interface.tcpSend(connection, $0, now: 3) }
    let frames = interface.drain()
    try #require(!frames.isEmpty)
    interface.receive(unreachable(code: 4, mtu: 68, quoting: frames[0]), now: 4)
    let resent = interface.sentSegments()
    #expect(resent.first?.payload.count == NetworkInterface.minimumPathMTU - 40)
  }
}
