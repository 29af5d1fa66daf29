import Testing

@testable import NetStack

@Suite struct NetworkInterfaceARPTests {
  @Test func requestForOurAddressGetsReply() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    let frames = interface.drain()
    try #require(frames.count == 1)
    let reply = frames[0]
    #expect(reply.count == 42)
    #expect(Array(reply[0..<6]) == Slirp.gatewayMAC.octets)
    #expect(Array(reply[6..<12]) == Slirp.guestMAC.octets)
    #expect(reply.be16(12) == EtherType.arp)
    #expect(reply.be16(20) == ARPPacket.reply)
    #expect(Array(reply[22..<28]) == Slirp.guestMAC.octets)
    #expect(reply.be32(28) == Slirp.guest.value)
    #expect(Array(reply[32..<38]) == Slirp.gatewayMAC.octets)
    #expect(reply.be32(38) == Slirp.gateway.value)
    // The requester was learned: no ARP request is needed to answer it.
    #expect(interface.arpCache.lookup(Slirp.gateway, now: 1) == Slirp.gatewayMAC)
  }

  @Test func requestForAnotherAddressIsIgnored() {
    let interface = Slirp.guestInterface()
    var request = Slirp.arpRequestForGuest
    request[41] = 16  // who has 10.0.2.16?
    interface.receive(request, now: 0)
    #expect(interface.drain().isEmpty)
    #expect(interface.arpCache.lookup(Slirp.gateway, now: 1) == nil)
  }

  @Test func unresolvedDestinationSendsRequestThenReleasesQueuedPacket() throws {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.echoRequest, now: 0)
    let request = try #require(interface.drain().first)
    #expect(Array(request[0..<6]) == MACAddress.broadcast.octets)
    #expect(request.be16(20) == ARPPacket.request)
    #expect(request.be32(38) == Slirp.gateway.value)
    interface.receive(Slirp.arpReplyFromGateway, now: 5)
    let released = interface.drain()
    try #require(released.count == 1)
    #expect(Array(released[0][0..<6]) == Slirp.gatewayMAC.octets)
    #expect(released[0][34] == ICMPPacket.echoReply)
  }

  @Test func unansweredRequestIsRetriedThenGivenUp() {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.echoRequest, now: 0)
    #expect(interface.drain().count == 1)
    #expect(interface.nextPollTime(now: 0) == ARPCache.retryInterval)
    var requests = 0
    var now: UInt64 = 0
    while let next = interface.nextPollTime(now: now) {
      now = next
      interface.poll(now: now)
      requests += interface.drain().count
    }
    #expect(requests == ARPCache.maximumRequests - 1)
    // The parked echo reply is gone: a late reply releases nothing.
    interface.receive(Slirp.arpReplyFromGateway, now: now + 1)
    #expect(interface.drain().isEmpty)
  }

  @Test func learnedEntryExpires() {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    #expect(interface.arpCache.lookup(Slirp.gateway, now: ARPCache.entryLifetime - 1) != nil)
    #expect(interface.arpCache.lookup(Slirp.gateway, now: ARPCache.entryLifetime) == nil)
    interface.poll(now: ARPCache.entryLifetime)
    #expect(interface.arpCache.entries.isEmpty)
  }

  // RFC 5227 §2.3: "sender and target IP addresses are both set to the
  // host's newly selected IPv4 address", broadcast, target MAC zero.
  @Test func announcementIsABroadcastRequestForOurOwnAddress() throws {
    let interface = Slirp.guestInterface()
    interface.announce()
    let frames = interface.drain()
    try #require(frames.count == 1)
    let announcement = frames[0]
    #expect(announcement.count == 42)
    #expect(Array(announcement[0..<6]) == MACAddress.broadcast.octets)
    #expect(Array(announcement[6..<12]) == Slirp.guestMAC.octets)
    #expect(announcement.be16(12) == EtherType.arp)
    #expect(announcement.be16(20) == ARPPacket.request)
    #expect(Array(announcement[22..<28]) == Slirp.guestMAC.octets)
    #expect(announcement.be32(28) == Slirp.guest.value)
    #expect(Array(announcement[32..<38]) == MACAddress.zero.octets)
    #expect(announcement.be32(38) == Slirp.guest.value)
  }

  @Test func interfaceWithoutAddressAnnouncesNothing() {
    let interface = NetworkInterface(mac: Slirp.guestMAC, configuration: nil, seed: 1)
    interface.announce()
    #expect(interface.drain().isEmpty)
  }

  @Test func announcementUpdatesAPeerThatKnowsTheSenderAndAddsNoOtherEntry() throws {
    let guest = Slirp.guestInterface()
    guest.announce()
    let announcement = try #require(guest.drain().first)
    // A peer that has not talked to the guest learns nothing (RFC 826: only
    // a target adds entries) and answers nothing.
    let peer = NetworkInterface(
      mac: Slirp.gatewayMAC,
      configuration: NetworkConfiguration(address: Slirp.gateway, prefixLength: 24), seed: 2)
    peer.receive(announcement, now: 0)
    #expect(peer.drain().isEmpty)
    #expect(peer.arpCache.lookup(Slirp.guest, now: 1) == nil)
    #expect(peer.droppedFrames == 0)
  }
}
