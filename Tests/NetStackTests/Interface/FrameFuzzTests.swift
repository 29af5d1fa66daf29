import Testing

@testable import NetStack

/// A short, seeded run of what fuzz/NetFuzz does at length: mutated real
/// frames into interfaces in several states; nothing may trap, and every
/// transmitted frame must be well-formed.
@Suite struct FrameFuzzTests {
  static let iterations = 3000

  /// Feeds mutations of `seeds` (checksums repaired half the time) to the
  /// interface `make` returns, running timers and draining after each.
  private func fuzz(
    seed: UInt64, seeds: [[UInt8]], make: () throws -> NetworkInterface
  ) throws {
    var random = TestRandom(seed: seed)
    var interface = try make()
    var now: UInt64 = 1000
    var malformed = 0
    for iteration in 0..<FrameFuzzTests.iterations {
      if iteration % 200 == 0 { interface = try make() }
      var frame = FrameChecks.mutate(seeds[Int(random.next() % UInt64(seeds.count))], &random)
      if random.next() % 2 == 0 { FrameChecks.repairChecksums(&frame) }
      now += random.next() % 50
      interface.receive(frame, now: now)
      if let next = interface.nextPollTime(now: now), next <= now { interface.poll(now: now) }
      for sent in interface.drain() where !FrameChecks.isWellFormed(sent) { malformed += 1 }
    }
    #expect(malformed == 0)
  }

  @Test func mutatedARPAndPingFramesNeverTrap() throws {
    try fuzz(
      seed: 1, seeds: [Slirp.arpRequestForGuest, Slirp.arpReplyFromGateway, Slirp.echoRequest]
    ) {
      Slirp.guestInterface()
    }
  }

  @Test func mutatedDHCPRepliesNeverTrap() throws {
    var seeds: [[UInt8]] = []
    let make = { () throws -> NetworkInterface in
      let interface = NetworkInterface(mac: Slirp.guestMAC, configuration: nil, seed: 9)
      interface.poll(now: 0)
      guard let discover = interface.drain().first.flatMap(SentUDP.init) else {
        throw NetError.timedOut
      }
      let xid = discover.payload.be32(4)
      seeds = [
        SlirpPackets.dhcpReply(type: 2, xid: xid), SlirpPackets.dhcpReply(type: 5, xid: xid),
        SlirpPackets.dhcpReply(type: 6, xid: xid),
      ]
      return interface
    }
    _ = try make()
    try fuzz(seed: 2, seeds: seeds, make: make)
  }

  @Test func mutatedTCPSegmentsOnEstablishedConnectionNeverTrap() throws {
    var seeds: [[UInt8]] = []
    var sequence: UInt32 = 0
    var acknowledgment: UInt32 = 0
    let make = { () throws -> NetworkInterface in
      let interface = Slirp.guestInterface()
      interface.receive(Slirp.arpRequestForGuest, now: 0)
      _ = try interface.tcpListen(port: 80, backlog: 4).get()
      interface.receive(TCPPeer.capturedSyn, now: 1)
      guard let synAck = interface.sentSegments().last else { throw NetError.timedOut }
      sequence = TCPPeer.capturedSynSequence &+ 1
      acknowledgment = synAck.seq &+ 1
      interface.receive(TCPPeer.segment(.ack, seq: sequence, ack: acknowledgment), now: 2)
      _ = interface.drain()
      return interface
    }
    _ = try make()
    seeds = [
      TCPPeer.segment(
        [.ack, .psh], seq: sequence, ack: acknowledgment, payload: Array("hello".utf8)),
      TCPPeer.segment([.fin, .ack], seq: sequence, ack: acknowledgment),
      TCPPeer.segment(.rst, seq: sequence),
      TCPPeer.segment(.syn, seq: sequence, options: [2, 4, 5, 0xb4, 1, 3, 3, 7]),
      TCPPeer.capturedSyn,
    ]
    try fuzz(seed: 3, seeds: seeds, make: make)
  }

  @Test func mutatedDNSResponsesNeverTrap() throws {
    var seeds: [[UInt8]] = []
    let make = { () throws -> NetworkInterface in
      let interface = Slirp.guestInterface()
      var request = Slirp.arpRequestForGuest
      request[31] = 3
      interface.receive(request, now: 0)
      _ = interface.drain()
      _ = try interface.dnsStart(name: "example.com", now: 1).get()
      guard let query = interface.drain().first.flatMap(SentUDP.init) else {
        throw NetError.timedOut
      }
      seeds = [
        SlirpPackets.dnsResponse(
          id: query.payload.be16(0), name: "example.com", address: IPv4Address(1, 2, 3, 4),
          toPort: query.sourcePort)
      ]
      return interface
    }
    _ = try make()
    try fuzz(seed: 4, seeds: seeds, make: make)
  }
}
