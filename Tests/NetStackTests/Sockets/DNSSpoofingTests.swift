import Testing

@testable import NetStack

/// RFC 5452 resolver hardening: a port and ID per lookup, answers matched on
/// server, ports, ID and question; truncated answers; slots of timed-out lookups.
@Suite struct DNSSpoofingTests {
  /// slirp's DNS address 10.0.2.3 (sharing the gateway's MAC) asking for the guest.
  private static let arpRequestFromDNS: [UInt8] = {
    var request = Slirp.arpRequestForGuest
    request[31] = 3
    return request
  }()

  private func interfaceKnowingDNS() -> NetworkInterface {
    let interface = Slirp.guestInterface()
    interface.receive(Self.arpRequestFromDNS, now: 0)
    _ = interface.drain()
    return interface
  }

  private func start(_ interface: NetworkInterface, _ name: String, now: UInt64 = 1) throws -> (
    DNSQuery, SentUDP
  ) {
    let query = try interface.dnsStart(name: name, now: now).get()
    let frames = interface.drain()
    try #require(frames.count == 1)
    return (query, try #require(SentUDP(frames[0])))
  }

  /// The DNS message of slirp's answer, for editing.
  private func answer(id: UInt16, name: String = "example.com") -> [UInt8] {
    Array(
      SlirpPackets.dnsResponse(
        id: id, name: name, address: IPv4Address(93, 184, 216, 34), toPort: 1)[42...])
  }

  private func frame(
    _ message: [UInt8], from source: IPv4Address = Slirp.dns, sourcePort: UInt16 = 53,
    to port: UInt16
  ) -> [UInt8] {
    SlirpPackets.udpFrame(
      destinationMAC: Slirp.guestMAC, source: source, sourcePort: sourcePort,
      destination: Slirp.guest, destinationPort: port, payload: message)
  }

  @Test func eachLookupHasItsOwnPortAndID() throws {
    let interface = interfaceKnowingDNS()
    var ports = Set<UInt16>()
    var ids = Set<UInt16>()
    for _ in 0..<8 {
      let (_, sent) = try start(interface, "example.com")
      ports.insert(sent.sourcePort)
      ids.insert(sent.payload.be16(0))
    }
    #expect(ports.count == 8)
    #expect(ids.count == 8)
  }

  @Test func spoofedAnswersAreIgnoredAndTheRightOneAccepted() throws {
    let interface = interfaceKnowingDNS()
    let (query, sent) = try start(interface, "example.com")
    let id = sent.payload.be16(0)
    let port = sent.sourcePort
    var wrongType = answer(id: id)
    wrongType[12 + 13 + 1] = 28  // QTYPE AAAA
    var wrongClass = answer(id: id)
    wrongClass[12 + 13 + 3] = 3  // QCLASS CH
    let spoofed: [(String, [UInt8])] = [
      ("wrong ID", frame(answer(id: id &+ 1), to: port)),
      ("wrong port", frame(answer(id: id), to: port &+ 1)),
      ("wrong source port", frame(answer(id: id), sourcePort: 5353, to: port)),
      ("wrong server", frame(answer(id: id), from: IPv4Address(10, 0, 2, 4), to: port)),
      ("wrong name", frame(answer(id: id, name: "example.org"), to: port)),
      ("wrong type", frame(wrongType, to: port)),
      ("wrong class", frame(wrongClass, to: port)),
    ]
    for (what, frame) in spoofed {
      interface.receive(frame, now: 2)
      #expect(interface.dnsResult(query) == .failure(.wouldBlock), "\(what)")
    }
    // The name matches without regard to case (RFC 4343).
    interface.receive(frame(answer(id: id, name: "EXAMPLE.com"), to: port), now: 3)
    #expect(interface.dnsResult(query) == .success(IPv4Address(93, 184, 216, 34)))
  }

  @Test func answerFromAnEarlierAttemptsServerIsAccepted() throws {
    let interface = NetworkInterface(
      mac: Slirp.guestMAC,
      configuration: NetworkConfiguration(
        address: Slirp.guest, prefixLength: 24, gateway: Slirp.gateway,
        dnsServers: [Slirp.dns, Slirp.gateway]), seed: 1)
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    interface.receive(Self.arpRequestFromDNS, now: 0)
    _ = interface.drain()
    let (query, sent) = try start(interface, "example.com")
    interface.poll(now: 1_001)  // the second attempt goes to 10.0.2.2
    #expect(interface.drain().compactMap(SentUDP.init).first?.destination == Slirp.gateway)
    interface.receive(frame(answer(id: sent.payload.be16(0)), to: sent.sourcePort), now: 1_002)
    #expect(interface.dnsResult(query) == .success(IPv4Address(93, 184, 216, 34)))
  }

  @Test func truncatedAnswerIsTruncatedAnswerError() throws {
    let interface = interfaceKnowingDNS()
    let (query, sent) = try start(interface, "example.com")
    var truncated = answer(id: sent.payload.be16(0))
    truncated[2] |= 0x02  // TC
    interface.receive(frame(truncated, to: sent.sourcePort), now: 2)
    #expect(interface.dnsResult(query) == .failure(.truncatedAnswer))
  }

  @Test func finishedLookupFreesItsPort() throws {
    let interface = interfaceKnowingDNS()
    let (query, sent) = try start(interface, "example.com")
    interface.receive(frame(answer(id: sent.payload.be16(0)), to: sent.sourcePort), now: 2)
    #expect(interface.udpPorts[sent.sourcePort] == nil)
    // A late copy now meets a closed port.
    interface.receive(frame(answer(id: sent.payload.be16(0)), to: sent.sourcePort), now: 3)
    #expect(interface.dnsResult(query) == .success(IPv4Address(93, 184, 216, 34)))
  }

  @Test func sixtyFiveUncollectedTimedOutLookupsThenOneThatWorks() throws {
    let interface = interfaceKnowingDNS()
    var now: UInt64 = 1
    for _ in 0..<65 {
      let query = try interface.dnsStart(name: "unanswered.example", now: now).get()
      while interface.dnsResolver.queries[query.id]?.result == nil,
        let next = interface.nextPollTime(now: now)
      {
        now = next
        interface.receive(Self.arpRequestFromDNS, now: now)  // keep the MAC fresh
        interface.poll(now: now)
      }
      _ = interface.drain()
    }
    #expect(!interface.udpPorts.values.contains(NetworkInterface.dnsPortOwner))
    let (query, sent) = try start(interface, "example.com", now: now)
    interface.receive(frame(answer(id: sent.payload.be16(0)), to: sent.sourcePort), now: now + 1)
    #expect(interface.dnsResult(query) == .success(IPv4Address(93, 184, 216, 34)))
  }

  @Test func sixtyFourPendingLookupsAreTheLimit() throws {
    let interface = interfaceKnowingDNS()
    for _ in 0..<DNSResolver.maximumQueries {
      _ = try interface.dnsStart(name: "pending.example", now: 1).get()
    }
    #expect(throws: NetError.noBuffers) { try interface.dnsStart(name: "one.more", now: 1).get() }
  }
}
