import Testing

@testable import NetStack

/// `tcpSend(..., thenClose: true)`: a server's last answer carries its FIN, so
/// the server closes first and the client keeps no TIME-WAIT.
@Suite struct TCPSendThenCloseTests {
  /// The TCP flags and payload length of an IPv4 TCP frame.
  func segment(_ frame: [UInt8]) throws -> (flags: TCPFlags, payload: Int) {
    try frame.withUnsafeBytes { bytes in
      let packet = try #require(IPv4Packet(bytes.netSlice(14..<bytes.count)))
      let segment = try #require(TCPSegment(packet.payload))
      return (segment.flags, segment.payload.count)
    }
  }

  @Test func established_sendThenClose_finRidesOnTheLastDataSegment() throws {
    let link = SimulatedLink(seed: 21)
    let (server, client, _) = try link.connect()
    let answer = [UInt8](repeating: 0x41, count: 95)
    let sent = answer.withUnsafeBytes {
      link.a.tcpSend(server, $0, now: link.now, thenClose: true)
    }
    #expect(sent == .success(95))
    let frames = link.a.drain()
    #expect(frames.count == 1)
    let first = try segment(try #require(frames.first))
    #expect(first.flags == [.ack, .psh, .fin])
    #expect(first.payload == 95)
    #expect(link.a.tcpState(server) == .finWait1)
    // Delivered: the client has the data and the FIN; closing it leaves the
    // server, the first to close, in TIME-WAIT and the client closed.
    for frame in frames { link.b.receive(frame, now: link.now) }
    var buffer = [UInt8](repeating: 0, count: 200)
    let read = buffer.withUnsafeMutableBytes { link.b.tcpReceive(client, into: $0) }
    #expect(read == .success(95))
    #expect(link.b.tcpState(client) == .closeWait)
    link.b.tcpClose(client, now: link.now)
    link.run(limit: 5_000) { link.b.tcpState(client) == .closed }
    #expect(link.b.tcpState(client) == .closed)
    #expect(link.a.tcpState(server) == .timeWait)
  }

  @Test func moreThanTheBufferTakes_sendThenClose_staysOpenUntilTheRestIsTaken() throws {
    let link = SimulatedLink(seed: 22)
    let (server, _, _) = try link.connect()
    let big = [UInt8](repeating: 7, count: link.a.tcpBufferSize + 1000)
    let sent = big.withUnsafeBytes { link.a.tcpSend(server, $0, now: link.now, thenClose: true) }
    #expect(sent == .success(link.a.tcpBufferSize))
    #expect(link.a.tcpState(server) == .established)
    #expect(link.a.drain().allSatisfy { (try? segment($0))?.flags.contains(.fin) == false })
  }

  @Test func afterSendThenClose_furtherSendsFailWithClosed() throws {
    let link = SimulatedLink(seed: 23)
    let (server, _, _) = try link.connect()
    let bytes: [UInt8] = [1, 2, 3]
    _ = bytes.withUnsafeBytes { link.a.tcpSend(server, $0, now: link.now, thenClose: true) }
    let again = bytes.withUnsafeBytes { link.a.tcpSend(server, $0, now: link.now) }
    #expect(again == .failure(.closed))
  }
}
