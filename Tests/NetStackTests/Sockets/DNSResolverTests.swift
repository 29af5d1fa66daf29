import Testing

@testable import NetStack

@Suite struct DNSResolverTests {
  private func interfaceKnowingDNS() -> NetworkInterface {
    let interface = Slirp.guestInterface()
    var request = Slirp.arpRequestForGuest
    request[31] = 3  // slirp's DNS address 10.0.2.3 shares the gateway's MAC
    interface.receive(request, now: 0)
    _ = interface.drain()
    return interface
  }

  /// Starts a lookup and returns the query frame's fields.
  private func start(_ interface: NetworkInterface, _ name: String) throws -> (DNSQuery, SentUDP) {
    let query = try interface.dnsStart(name: name, now: 1).get()
    let frames = interface.drain()
    try #require(frames.count == 1)
    return (query, try #require(SentUDP(frames[0])))
  }

  @Test func queryIsRecursiveAQuestionToFirstServer() throws {
    let interface = interfaceKnowingDNS()
    let (_, sent) = try start(interface, "example.com")
    #expect(sent.destination == Slirp.dns)
    #expect(sent.destinationPort == 53)
    #expect(sent.sourcePort >= 49152)
    let expected: [UInt8] =
      [sent.payload[0], sent.payload[1], 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
      + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]
    #expect(sent.payload == expected)
  }

  @Test func answerThroughCNAMEAndPointersResolves() throws {
    let interface = interfaceKnowingDNS()
    let (query, sent) = try start(interface, "example.com")
    #expect(interface.dnsResult(query) == .failure(.wouldBlock))
    interface.receive(
      SlirpPackets.dnsResponse(
        id: sent.payload.be16(0), name: "example.com", address: IPv4Address(93, 184, 216, 34),
        toPort: sent.sourcePort), now: 20)
    #expect(interface.dnsResult(query) == .success(IPv4Address(93, 184, 216, 34)))
    #expect(interface.dnsResult(query) == .failure(.invalidArgument))
  }

  @Test func nxdomainIsNameNotFound() throws {
    let interface = interfaceKnowingDNS()
    let (query, sent) = try start(interface, "nonexistent.invalid")
    interface.receive(
      SlirpPackets.dnsResponse(
        id: sent.payload.be16(0), name: "nonexistent.invalid", address: nil, rcode: 3,
        toPort: sent.sourcePort), now: 20)
    #expect(interface.dnsResult(query) == .failure(.nameNotFound))
  }

  @Test func responseWithWrongIDIsIgnored() throws {
    let interface = interfaceKnowingDNS()
    let (query, sent) = try start(interface, "example.com")
    interface.receive(
      SlirpPackets.dnsResponse(
        id: sent.payload.be16(0) &+ 1, name: "example.com", address: IPv4Address(1, 2, 3, 4),
        toPort: sent.sourcePort), now: 20)
    #expect(interface.dnsResult(query) == .failure(.wouldBlock))
  }

  @Test func unansweredQueryIsRetriedThenTimesOut() throws {
    let interface = interfaceKnowingDNS()
    let (query, _) = try start(interface, "example.com")
    var sent = 1
    var now: UInt64 = 1
    while interface.dnsResult(query) == .failure(.wouldBlock),
      let next = interface.nextPollTime(now: now)
    {
      now = next
      interface.poll(now: now)
      sent += interface.drain().count
    }
    #expect(sent == DNSResolver.maximumAttempts)
    #expect(now == 1 + 1_000 + 2_000 + 4_000 + 8_000)
  }

  @Test func addressLiteralResolvesAtOnce() throws {
    let interface = interfaceKnowingDNS()
    let query = try interface.dnsStart(name: "10.0.2.2", now: 1).get()
    #expect(interface.drain().isEmpty)
    #expect(interface.dnsResult(query) == .success(Slirp.gateway))
  }

  @Test(arguments: ["", ".", "a..b", String(repeating: "a", count: 64) + ".com", "bad name.com"])
  func malformedNameIsInvalidArgument(name: String) {
    let interface = interfaceKnowingDNS()
    #expect(throws: NetError.invalidArgument) { try interface.dnsStart(name: name, now: 1).get() }
  }

  @Test func truncatedResponseDoesNotCrashOrResolve() throws {
    let interface = interfaceKnowingDNS()
    let (query, sent) = try start(interface, "example.com")
    let full = SlirpPackets.dnsResponse(
      id: sent.payload.be16(0), name: "example.com", address: IPv4Address(1, 2, 3, 4),
      toPort: sent.sourcePort)
    let message = Array(full[42...])
    for length in stride(from: 12, to: message.count, by: 1) {
      let frame = SlirpPackets.udpFrame(
        destinationMAC: Slirp.guestMAC, source: Slirp.dns, sourcePort: 53,
        destination: Slirp.guest, destinationPort: sent.sourcePort,
        payload: Array(message[0..<length]))
      interface.receive(frame, now: 2)
      #expect(interface.dnsResult(query) == .failure(.wouldBlock), "cut to \(length) bytes")
    }
    interface.receive(full, now: 3)
    #expect(interface.dnsResult(query) == .success(IPv4Address(1, 2, 3, 4)))
  }
}
