import Testing

@testable import NetStack

/// Memory is a budget (issue 20): ring storage grows with what it holds and
/// goes back when empty, a budget bounds it, and a connection cap bounds the
/// rest; running out drops packets, never the interface.
@Suite struct TCPMemoryBudgetTests {
  @Test func ringStorageGrowsByDoublingAndKeepsParkedBytesAcrossGrowth() {
    var ring = ByteRing(capacity: 65536)
    #expect(ring.storageSize == 0)
    let small = [UInt8](repeating: 7, count: 100)
    #expect(small.withUnsafeBytes { ring.append($0) } == 100)
    #expect(ring.storageSize == ByteRing.initialStorage)
    // Parked (out-of-order) bytes far past the end force growth; they keep
    // their place relative to the head.
    let parked = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
    #expect(parked.withUnsafeBytes { ring.write($0, atOffset: 9000) })
    #expect(ring.storageSize == 16384)
    ring.commit(10_000 - 100 + 0)
    #expect(ring.count == 10_000)
    #expect(ring.bytes(offset: 9100, length: 1000) == parked)
    #expect(ring.bytes(offset: 0, length: 100) == small)
  }

  @Test func anEmptyRingGivesItsStorageBack() {
    let memory = NetMemory()
    var ring = ByteRing(capacity: 65536, memory: memory)
    let bytes = [UInt8](repeating: 1, count: 5000)
    #expect(bytes.withUnsafeBytes { ring.append($0) } == 5000)
    #expect(memory.used == 8192)
    var sink = [UInt8](repeating: 0, count: 5000)
    #expect(sink.withUnsafeMutableBytes { ring.read(into: $0) } == 5000)
    ring.releaseIfEmpty()
    #expect(ring.storageSize == 0)
    #expect(memory.used == 0)
  }

  @Test func aRingPastTheBudgetTakesNothing() {
    let memory = NetMemory(budget: 4096)
    var first = ByteRing(capacity: 65536, memory: memory)
    var second = ByteRing(capacity: 65536, memory: memory)
    let bytes = [UInt8](repeating: 1, count: 3000)
    #expect(bytes.withUnsafeBytes { first.append($0) } == 3000)
    #expect(bytes.withUnsafeBytes { second.append($0) } == 0)
    #expect(!bytes.withUnsafeBytes { second.write($0, atOffset: 0) })
    #expect(memory.used == 4096)
  }

  /// Both ends share 48 KiB of buffers for a megabyte each way over a lossy
  /// link: writes are refused and segments dropped when rings cannot grow,
  /// and TCP's retransmission carries the transfer through, byte-exact.
  @Test func aMegabyteEachWayArrivesByteExactUnderATightBufferBudget() throws {
    let link = SimulatedLink(seed: 21, drop: 20, duplicate: 10, reorder: 20)
    link.a.bufferMemory.budget = 48 << 10
    link.b.bufferMemory.budget = 48 << 10
    let (server, client, _) = try link.connect()
    var random = TestRandom(seed: 77)
    let fromServer = random.bytes(1 << 20)
    let fromClient = random.bytes(1 << 20)
    let serverStream = TCPTransferTests.Stream(link.a, server, send: fromServer, expect: fromClient)
    let clientStream = TCPTransferTests.Stream(link.b, client, send: fromClient, expect: fromServer)
    var peak = 0
    let finished = link.run(
      limit: 3_600_000,
      app: {
        serverStream.pump(now: link.now)
        clientStream.pump(now: link.now)
        peak = max(peak, link.a.bufferMemory.used, link.b.bufferMemory.used)
      }, until: { serverStream.eof && clientStream.eof })
    #expect(
      finished,
      "a: sent \(serverStream.sent) got \(serverStream.received) used \(link.a.bufferMemory.used); b: sent \(clientStream.sent) got \(clientStream.received) used \(link.b.bufferMemory.used); now \(link.now) states \(link.a.tcpState(server)) \(link.b.tcpState(client))"
    )
    #expect(!serverStream.mismatch && !clientStream.mismatch)
    #expect(serverStream.received == 1 << 20 && clientStream.received == 1 << 20)
    #expect(peak <= 48 << 10)
  }

  /// 20,000 connection attempts against a cap of 200 connections: the excess
  /// is dropped (no block made), nothing crashes, and once the half-open
  /// entries expire a real client is served.
  @Test func twentyThousandAttemptsUnderAConnectionCapAreRefusedAndARealClientGetsIn() throws {
    let link = SimulatedLink(seed: 31)
    link.a.maximumTCPConnections = 200
    let listener = try link.a.tcpListen(port: 80, backlog: 1024).get()
    var random = TestRandom(seed: 5)
    var attempts = 0
    let start = link.now
    link.run(
      limit: 25_000,
      app: {
        while UInt64(attempts) <= link.now - start && attempts < 20_000 {
          link.a.receive(TCPSynFloodTests.spoofedSyn(&random), now: link.now)
          attempts += 1
        }
      }
    ) { attempts >= 20_000 }
    #expect(attempts == 20_000)
    #expect(link.a.tcpBlocks.count <= 200)
    // Half-open entries give up within 31 s; then the cap has room again.
    link.run(limit: 40_000) { false }
    let client = try link.b.tcpConnect(to: SimulatedLink.addressA, port: 80, now: link.now).get()
    var accepted: TCPHandle?
    link.run(
      limit: 10_000,
      app: {
        if accepted == nil, case .success(let handle) = link.a.tcpAccept(listener) {
          accepted = handle
        }
      }
    ) { accepted != nil && link.b.tcpState(client) == .established }
    #expect(accepted != nil)
  }

  @Test func buffersSizedPerSocketBoundTheirConnectionsRings() throws {
    let link = SimulatedLink(seed: 41)
    let listener = try link.a.tcpListen(port: 80, backlog: 8, bufferSize: 4096).get()
    let client = try link.b.tcpConnect(
      to: SimulatedLink.addressA, port: 80, now: link.now, bufferSize: 300_000
    ).get()
    var server: TCPHandle?
    link.run(app: {
      if server == nil, case .success(let accepted) = link.a.tcpAccept(listener) {
        server = accepted
      }
    }) { server != nil && link.b.tcpState(client) == .established }
    let accepted = try #require(server)
    #expect(link.a.tcpBlocks[accepted.id]?.receiveBuffer.capacity == 4096)
    #expect(link.a.tcpBlocks[accepted.id]?.sendBuffer.capacity == 4096)
    #expect(link.b.tcpBlocks[client.id]?.receiveBuffer.capacity == 300_000)
    #expect(link.a.tcpSendSpace(accepted) == 4096)
  }
}
