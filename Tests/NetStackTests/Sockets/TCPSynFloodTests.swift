import Testing

@testable import NetStack

/// SYN flood defence (NetworkInterface+SynCookie.swift, TCPSynCookie.swift).
@Suite struct TCPSynFloodTests {
  /// A SYN to 192.168.7.1:80 of the simulated link from a spoofed host of
  /// its subnet (not .1 or .2), with a random port, ISN and MAC.
  static func spoofedSyn(_ random: inout TestRandom) -> [UInt8] {
    let source = IPv4Address(192, 168, 7, UInt8(3 + random.next() % 250))
    let destination = SimulatedLink.addressA
    var tcp: [UInt8] = []
    tcp.appendNetUInt16(UInt16(1024 + random.next() % 60000))
    tcp.appendNetUInt16(80)
    tcp.appendNetUInt32(UInt32(truncatingIfNeeded: random.next()))
    tcp.appendNetUInt32(0)
    tcp += [0x60, TCPFlags.syn.rawValue, 0xfa, 0xf0, 0, 0, 0, 0, 2, 4, 0x05, 0xb4]
    let pseudo = InternetChecksum.pseudoHeader(
      source: source, destination: destination, protocolNumber: 6, length: tcp.count)
    tcp = tcp.withChecksum(over: 0..<tcp.count, at: 16, pseudo: pseudo)
    let mac = MACAddress(0x02, 0x66, 0, 0, 0, UInt8(truncatingIfNeeded: random.next()))
    var frame = SimulatedLink.macA.octets + mac.octets + [0x08, 0x00]
    let total = 20 + tcp.count
    frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0]
    frame += source.octets + destination.octets
    frame = frame.withChecksum(over: 14..<34, at: 24)
    return frame + tcp
  }

  @Test func listenerFloodedWithTenThousandSpoofedSynsStillServesARealClient() throws {
    let link = SimulatedLink(seed: 11)
    let listener = try link.a.tcpListen(port: 80, backlog: 8).get()
    var random = TestRandom(seed: 99)
    var spoofed = 0
    // One spoofed SYN per millisecond (1,000/s), 10,000 in all, and on
    // through the client's connection.
    let flood = {
      while UInt64(spoofed) <= link.now {
        link.a.receive(Self.spoofedSyn(&random), now: link.now)
        spoofed += 1
      }
    }
    link.run(limit: 20_000, app: flood) { spoofed >= 10_000 }
    #expect(spoofed >= 10_000)
    // The SYN queue is full, and the rest was answered with cookies.
    #expect(link.a.tcpBlocks.count <= link.a.maximumHalfOpenConnections + 1)

    let client = try link.b.tcpConnect(to: SimulatedLink.addressA, port: 80, now: link.now).get()
    var server: TCPHandle?
    let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
    let response = Array("HTTP/1.0 200 OK\r\n\r\nhello".utf8)
    var requestSent = false
    var responseSent = false
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 256)
    let served = link.run(
      limit: 10_000,
      app: {
        flood()
        if server == nil, case .success(let accepted) = link.a.tcpAccept(listener) {
          server = accepted
        }
        if !requestSent, link.b.tcpState(client) == .established {
          requestSent = request.withUnsafeBytes {
            (try? link.b.tcpSend(client, $0, now: link.now).get()) == request.count
          }
        }
        if let server, !responseSent {
          let count = buffer.withUnsafeMutableBytes { link.a.tcpReceive(server, into: $0) }
          if case .success(let count) = count, count == request.count {
            _ = response.withUnsafeBytes { link.a.tcpSend(server, $0, now: link.now) }
            responseSent = true
          }
        }
        if case .success(let count) = buffer.withUnsafeMutableBytes({
          link.b.tcpReceive(client, into: $0)
        }) {
          received += buffer[0..<count]
        }
      }
    ) { received == response }
    #expect(served)
    #expect(link.now < 20_000 + 2_000)  // served at once, not after SYN retries
  }

  @Test func fullSynQueueAnswersWithCookieAndItsAckMakesTheConnection() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    interface.maximumHalfOpenConnections = 0
    let listener = try interface.tcpListen(port: 80, backlog: 4).get()
    interface.receive(TCPPeer.capturedSyn, now: 10)
    let synAck = try #require(interface.sentSegments().first)
    #expect(synAck.flags == [.syn, .ack])
    #expect(synAck.ack == TCPPeer.capturedSynSequence &+ 1)
    #expect(synAck.mss == 1460)
    #expect(synAck.windowScale == nil)  // a cookie cannot carry scaling
    #expect(interface.tcpBlocks.count == 1)  // the listener only
    // The ACK carries data too; it makes an established connection.
    interface.receive(
      TCPPeer.segment(
        [.ack, .psh], seq: TCPPeer.capturedSynSequence &+ 1, ack: synAck.seq &+ 1,
        payload: Array("hi".utf8)), now: 20)
    let connection = try interface.tcpAccept(listener).get()
    #expect(interface.tcpState(connection) == .established)
    #expect(interface.tcpReceivable(connection) == 2)
  }

  @Test func listenAckWithForgedCookieGetsReset() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    interface.maximumHalfOpenConnections = 0
    let listener = try interface.tcpListen(port: 80, backlog: 4).get()
    interface.receive(TCPPeer.capturedSyn, now: 10)
    let synAck = try #require(interface.sentSegments().first)
    interface.receive(
      TCPPeer.segment(.ack, seq: TCPPeer.capturedSynSequence &+ 1, ack: synAck.seq &+ 2), now: 20)
    let reset = try #require(interface.sentSegments().first)
    #expect(reset.flags == [.rst])
    #expect(interface.tcpAccept(listener) == .failure(.wouldBlock))
  }

  @Test func cookieIsGoodForTwoPeriodsAndBoundToPeerAndISN() {
    let secret = SipHashKey(k0: 5, k1: 6)
    let endpoints = TCPEndpoints(localPort: 80, remoteAddress: Slirp.gateway, remotePort: 40000)
    let cookie = TCPSynCookie.make(
      secret: secret, localAddress: Slirp.guest, endpoints: endpoints, peerISN: 1000,
      maximumSegmentSize: 1400, now: 10_000)
    func check(_ endpoints: TCPEndpoints, isn: UInt32 = 1000, at now: UInt64) -> Int? {
      TCPSynCookie.check(
        cookie, secret: secret, localAddress: Slirp.guest, endpoints: endpoints, peerISN: isn,
        now: now)
    }
    #expect(check(endpoints, at: 10_000) == 1360)  // rounded down to the table
    #expect(check(endpoints, at: 127_999) == 1360)
    #expect(check(endpoints, at: 128_000) == nil)
    #expect(check(endpoints, isn: 1001, at: 10_000) == nil)
    var other = endpoints
    other.remotePort += 1
    #expect(check(other, at: 10_000) == nil)
  }

  @Test func halfOpenConnectionsGiveUpAfterFourSynAckRetries() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    _ = try interface.tcpListen(port: 80, backlog: 4).get()
    interface.receive(TCPPeer.capturedSyn, now: 1)
    var synAcks = interface.sentSegments().count
    var now: UInt64 = 1
    while interface.tcpBlocks.count > 1, let next = interface.nextPollTime(now: now) {
      now = next
      interface.receive(Slirp.arpRequestForGuest, now: now)
      interface.poll(now: now)
      synAcks += interface.sentSegments().filter { $0.flags == [.syn, .ack] }.count
    }
    #expect(synAcks == 1 + TCPControlBlock.maximumSynAckRetransmissions)
    #expect(now == 1 + 1_000 + 2_000 + 4_000 + 8_000 + 16_000)
  }
}
