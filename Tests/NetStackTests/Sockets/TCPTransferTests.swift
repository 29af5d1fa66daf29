import Testing

@testable import NetStack

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whole connections between two interfaces over `SimulatedLink`.
@Suite struct TCPTransferTests {
  /// Moves `outgoing` through `handle` and checks what arrives against `expected`.
  final class Stream {
    let interface: NetworkInterface
    let handle: TCPHandle
    let outgoing: [UInt8]
    let expected: [UInt8]
    var sent = 0
    var received = 0
    var mismatch = false
    var eof = false
    var closed = false
    private var scratch = [UInt8](repeating: 0, count: 65536)

    init(_ interface: NetworkInterface, _ handle: TCPHandle, send: [UInt8], expect: [UInt8]) {
      self.interface = interface
      self.handle = handle
      outgoing = send
      expected = expect
    }

    func pump(now: UInt64) {
      while sent < outgoing.count {
        let result = outgoing.withUnsafeBytes {
          interface.tcpSend(handle, $0.netSlice(sent..<min(outgoing.count, sent + 65536)), now: now)
        }
        guard case .success(let count) = result else { break }
        sent += count
      }
      if sent == outgoing.count && !closed {
        closed = true
        interface.tcpClose(handle, now: now)
      }
      while !eof {
        let result = scratch.withUnsafeMutableBytes { interface.tcpReceive(handle, into: $0) }
        guard case .success(let count) = result else { break }
        if count == 0 {
          eof = true
          break
        }
        if received + count > expected.count
          || scratch.withUnsafeBytes({ chunk in
            expected.withUnsafeBytes { all in
              memcmp(chunk.baseAddress!, all.baseAddress! + received, count)
            }
          }) != 0
        {
          mismatch = true
        }
        received += count
      }
    }
  }

  private func transfer(
    bytes: Int, seed: UInt64, drop: Int, duplicate: Int, reorder: Int,
    offload: SimulatedLink.ChecksumOffload = .none
  ) throws -> SimulatedLink {
    let link = SimulatedLink(
      seed: seed, drop: drop, duplicate: duplicate, reorder: reorder, offload: offload)
    let (server, client, _) = try link.connect()
    var random = TestRandom(seed: seed ^ 0x5eed)
    let fromServer = random.bytes(bytes)
    let fromClient = random.bytes(bytes)
    let serverStream = Stream(link.a, server, send: fromServer, expect: fromClient)
    let clientStream = Stream(link.b, client, send: fromClient, expect: fromServer)
    let finished = link.run(
      limit: 3_600_000,
      app: {
        serverStream.pump(now: link.now)
        clientStream.pump(now: link.now)
      }, until: { serverStream.eof && clientStream.eof })
    #expect(finished)
    #expect(!serverStream.mismatch)
    #expect(!clientStream.mismatch)
    #expect(serverStream.received == bytes)
    #expect(clientStream.received == bytes)
    return link
  }

  @Test func tenMegabytesEachWayArriveByteExactOverLossyLink() throws {
    let link = try transfer(bytes: 10 << 20, seed: 7, drop: 50, duplicate: 30, reorder: 50)
    #expect(link.dropped > 100)
  }

  @Test func megabyteEachWayArrivesByteExactOverVeryLossyLink() throws {
    let link = try transfer(bytes: 1 << 20, seed: 8, drop: 100, duplicate: 50, reorder: 100)
    #expect(link.dropped > 100)
  }

  /// Checksum offload: partial TCP checksums completed by the sending NIC, or
  /// passed on partial and vouched for by the receiving one.
  @Test(arguments: [
    SimulatedLink.ChecksumOffload.completeOnTransmit, .verifiedOnReceive,
  ])
  func megabyteEachWayArrivesByteExactWithChecksumOffload(
    offload: SimulatedLink.ChecksumOffload
  ) throws {
    let link = try transfer(
      bytes: 1 << 20, seed: 12, drop: 50, duplicate: 30, reorder: 50, offload: offload)
    #expect(link.a.droppedFrames == 0)
    #expect(link.b.droppedFrames == 0)
    #expect(link.completed > (offload == .completeOnTransmit ? 1000 : -1))
  }

  @Test func aPartialChecksumNoNICVouchesForIsDropped() throws {
    let link = SimulatedLink(seed: 13)
    link.a.offloadsTCPChecksum = true  // but nothing completes A's checksums
    let listener = try link.a.tcpListen(port: 80, backlog: 8).get()
    let client = try link.b.tcpConnect(to: SimulatedLink.addressA, port: 80, now: link.now).get()
    link.run(limit: 2_000) { false }
    #expect(link.b.tcpState(client) == .synSent)
    #expect(link.b.droppedFrames > 0)
    _ = listener
  }

  @Test func transferOverCleanLinkNeedsNoRetransmission() throws {
    let link = try transfer(bytes: 1 << 20, seed: 3, drop: 0, duplicate: 0, reorder: 0)
    #expect(link.now < 10_000)
  }

  @Test func bothSidesReachClosedAfterTimeWait() throws {
    let link = SimulatedLink(seed: 11)
    let (server, client, _) = try link.connect()
    link.a.tcpClose(server, now: link.now)
    link.run { link.b.tcpState(client) == .closeWait }
    link.b.tcpClose(client, now: link.now)
    link.run { link.a.tcpState(server) == .timeWait }
    let timeWaitFrom = link.now
    link.run { link.a.tcpState(server) == .closed }
    #expect(link.b.tcpState(client) == .closed)
    // 2 MSL, less the step the clock took past entering TIME-WAIT.
    #expect(link.now - timeWaitFrom >= 2 * TCPControlBlock.maximumSegmentLifetime - 1)
    #expect(link.now - timeWaitFrom <= 2 * TCPControlBlock.maximumSegmentLifetime + 1)
    #expect(link.a.tcpBlocks.count == 1)  // only the listener is left
    #expect(link.b.tcpBlocks.isEmpty)
  }

  @Test func hundredConcurrentConnectionsEachEchoTheirOwnData() throws {
    let link = SimulatedLink(seed: 5, drop: 20, duplicate: 10, reorder: 20)
    let listener = try link.a.tcpListen(port: 7, backlog: 128).get()
    var random = TestRandom(seed: 99)
    var clients: [(handle: TCPHandle, data: [UInt8], received: [UInt8], sent: Bool)] = []
    for _ in 0..<100 {
      let handle = try link.b.tcpConnect(to: SimulatedLink.addressA, port: 7, now: link.now).get()
      clients.append((handle, random.bytes(3000), [], false))
    }
    var servers: [TCPHandle] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let finished = link.run(
      limit: 600_000,
      app: {
        while case .success(let handle) = link.a.tcpAccept(listener) { servers.append(handle) }
        // The server echoes what it reads and closes after the client's FIN.
        for handle in servers where link.a.tcpState(handle) != .closed {
          let result = buffer.withUnsafeMutableBytes { link.a.tcpReceive(handle, into: $0) }
          if case .success(let count) = result {
            if count == 0 {
              link.a.tcpClose(handle, now: link.now)
            } else {
              let sent = buffer.withUnsafeBytes {
                link.a.tcpSend(handle, $0.netSlice(0..<count), now: link.now)
              }
              #expect(sent == .success(count))
            }
          }
        }
        for index in clients.indices {
          let client = clients[index]
          if !client.sent && link.b.tcpState(client.handle) == .established {
            let sent = client.data.withUnsafeBytes {
              link.b.tcpSend(client.handle, $0, now: link.now)
            }
            #expect(sent == .success(client.data.count))
            link.b.tcpClose(client.handle, now: link.now)
            clients[index].sent = true
          }
          let result = buffer.withUnsafeMutableBytes { link.b.tcpReceive(client.handle, into: $0) }
          if case .success(let count) = result, count > 0 {
            clients[index].received += buffer[0..<count]
          }
        }
      }, until: { clients.allSatisfy { $0.received.count == $0.data.count } })
    #expect(finished)
    #expect(servers.count == 100)
    #expect(clients.allSatisfy { $0.received == $0.data })
  }
}
