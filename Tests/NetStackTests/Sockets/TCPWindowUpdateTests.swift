import Testing

@testable import NetStack

/// Window updates after the app reads (RFC 1122 §4.2.3.3): only when the
/// window grew by min(half the buffer, 2 MSS) beyond what the peer was told.
@Suite struct TCPWindowUpdateTests {
  @Test func synReceived_firstSmallRead_sendsNoBareACK() throws {
    let link = SimulatedLink(seed: 31)
    let (server, client, _) = try link.connect()
    let request = [UInt8](repeating: 0x47, count: 103)
    let sent = request.withUnsafeBytes { link.b.tcpSend(client, $0, now: link.now) }
    #expect(sent == .success(103))
    link.run(limit: 1_000) { link.a.tcpReceivable(server) == 103 }
    _ = link.a.drain()  // whatever the arrival itself queued
    var buffer = [UInt8](repeating: 0, count: 4096)
    let read = buffer.withUnsafeMutableBytes { link.a.tcpReceive(server, into: $0) }
    #expect(read == .success(103))
    #expect(link.a.drain().isEmpty)
  }

  @Test func established_readThatOpensTheWindowByTwoSegments_sendsAnUpdate() throws {
    let link = SimulatedLink(seed: 32)
    let (server, client, _) = try link.connect()
    let data = [UInt8](repeating: 1, count: 8000)
    _ = data.withUnsafeBytes { link.b.tcpSend(client, $0, now: link.now) }
    link.run(limit: 1_000) { link.a.tcpReceivable(server) == 8000 }
    link.run(limit: 100) { false }  // let delayed ACKs go
    _ = link.a.drain()
    var buffer = [UInt8](repeating: 0, count: 8000)
    _ = buffer.withUnsafeMutableBytes { link.a.tcpReceive(server, into: $0) }
    #expect(link.a.drain().count == 1)
  }
}
