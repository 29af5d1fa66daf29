import Testing

@testable import NetStack

@Suite struct DHCPClientTests {
  /// An unconfigured guest and the events it reported.
  private final class Guest {
    let interface = NetworkInterface(mac: Slirp.guestMAC, configuration: nil, seed: 42)
    var events: [NetworkEvent] = []
    init() { interface.onEvent = { [unowned self] in self.events.append($0) } }
  }

  /// The BOOTP payload of the one DHCP frame queued.
  private func sentDHCP(_ interface: NetworkInterface) throws -> (SentUDP, [UInt8]) {
    let frames = interface.drain()
    try #require(frames.count == 1)
    let datagram = try #require(SentUDP(frames[0]))
    #expect(datagram.sourcePort == 68)
    #expect(datagram.destinationPort == 67)
    return (datagram, datagram.payload)
  }

  private func options(_ payload: [UInt8]) -> [UInt8: [UInt8]] {
    var result: [UInt8: [UInt8]] = [:]
    var index = 240
    while index < payload.count, payload[index] != 255 {
      if payload[index] == 0 {
        index += 1
        continue
      }
      let length = Int(payload[index + 1])
      result[payload[index]] = Array(payload[index + 2..<index + 2 + length])
      index += 2 + length
    }
    return result
  }

  /// DISCOVER, OFFER, REQUEST, ACK; returns the guest, bound at `ackTime`.
  private func bind(ackTime: UInt64 = 10) throws -> Guest {
    let guest = Guest()
    let interface = guest.interface
    #expect(interface.nextPollTime(now: 0) == 0)
    interface.poll(now: 0)
    let (discover, payload) = try sentDHCP(interface)
    #expect(discover.destinationMAC == MACAddress.broadcast.octets)
    #expect(discover.source == .unspecified)
    #expect(discover.destination == .broadcast)
    #expect(payload.count >= 300)
    #expect(Array(payload[0..<3]) == [1, 1, 6])
    #expect(Array(payload[28..<34]) == Slirp.guestMAC.octets)
    #expect(Array(payload[236..<240]) == [99, 130, 83, 99])
    #expect(options(payload)[53] == [1])
    let xid = payload.be32(4)

    interface.receive(SlirpPackets.dhcpReply(type: 2, xid: xid), now: ackTime - 5)
    let (request, requestPayload) = try sentDHCP(interface)
    #expect(request.destination == .broadcast)
    #expect(requestPayload.be32(4) == xid)
    let requestOptions = options(requestPayload)
    #expect(requestOptions[53] == [3])
    #expect(requestOptions[50] == Slirp.guest.octets)
    #expect(requestOptions[54] == Slirp.gateway.octets)
    #expect(interface.configuration == nil)

    interface.receive(SlirpPackets.dhcpReply(type: 5, xid: xid), now: ackTime)
    // RFC 5227 §2.3: the bound address is announced.
    let announcement = interface.drain()
    #expect(announcement.count == 1)
    #expect(announcement.first.map { $0.be16(20) } == ARPPacket.request)
    #expect(announcement.first.map { $0.be32(38) } == Slirp.guest.value)
    return guest
  }

  @Test func discoverOfferRequestAckConfiguresAndReportsTheLease() throws {
    let guest = try bind()
    #expect(guest.interface.configuration == Slirp.configuration)
    #expect(guest.events == [.acquired(Slirp.configuration)])
  }

  @Test func configuredGuestAnswersARPAfterAck() throws {
    let guest = try bind()
    guest.interface.receive(Slirp.arpRequestForGuest, now: 20)
    #expect(guest.interface.drain().count == 1)
  }

  @Test func unansweredDiscoverIsRetransmittedAfterFourThenEightSeconds() throws {
    let guest = Guest()
    let interface = guest.interface
    interface.poll(now: 0)
    _ = try sentDHCP(interface)
    #expect(interface.nextPollTime(now: 0) == 4_000)
    interface.poll(now: 3_999)
    #expect(interface.drain().isEmpty)
    interface.poll(now: 4_000)
    _ = try sentDHCP(interface)
    #expect(interface.nextPollTime(now: 4_000) == 12_000)
  }

  @Test func offerWithOtherTransactionIDIsIgnored() throws {
    let guest = Guest()
    guest.interface.poll(now: 0)
    let (_, payload) = try sentDHCP(guest.interface)
    guest.interface.receive(SlirpPackets.dhcpReply(type: 2, xid: payload.be32(4) &+ 1), now: 1)
    #expect(guest.interface.drain().isEmpty)
  }

  @Test func leaseIsRenewedAtT1ByUnicastToServer() throws {
    let guest = try bind(ackTime: 10)
    let interface = guest.interface
    let t1: UInt64 = 10 + 43_200_000
    #expect(interface.nextPollTime(now: 20) == t1)
    interface.receive(Slirp.arpRequestForGuest, now: t1 - 100)  // learn the server's MAC
    _ = interface.drain()
    interface.poll(now: t1)
    let (renew, payload) = try sentDHCP(interface)
    #expect(renew.destination == Slirp.gateway)
    #expect(renew.destinationMAC == Slirp.gatewayMAC.octets)
    #expect(renew.source == Slirp.guest)
    #expect(payload.be32(12) == Slirp.guest.value)  // ciaddr
    let renewOptions = options(payload)
    #expect(renewOptions[53] == [3])
    #expect(renewOptions[50] == nil)
    #expect(renewOptions[54] == nil)

    var ack = SlirpPackets.dhcpReply(type: 5, xid: payload.be32(4))
    // The renewal ACK is unicast to our address and MAC.
    ack = SlirpPackets.udpFrame(
      destinationMAC: Slirp.guestMAC, source: Slirp.gateway, sourcePort: 67,
      destination: Slirp.guest, destinationPort: 68, payload: Array(ack[42...]))
    interface.receive(ack, now: t1 + 5)
    #expect(interface.configuration == Slirp.configuration)
    #expect(guest.events.count == 1)  // no second "acquired"
    #expect(interface.nextPollTime(now: t1 + 5) == t1 + 5 + 43_200_000)
  }

  @Test func nakRestartsWithDiscover() throws {
    let guest = Guest()
    let interface = guest.interface
    interface.poll(now: 0)
    let (_, discover) = try sentDHCP(interface)
    interface.receive(SlirpPackets.dhcpReply(type: 2, xid: discover.be32(4)), now: 1)
    _ = try sentDHCP(interface)
    interface.receive(SlirpPackets.dhcpReply(type: 6, xid: discover.be32(4)), now: 2)
    let (_, again) = try sentDHCP(interface)
    #expect(options(again)[53] == [1])
    #expect(interface.configuration == nil)
  }

  @Test func expiredLeaseDropsConfiguration() throws {
    let guest = Guest()
    let interface = guest.interface
    interface.poll(now: 0)
    let (_, discover) = try sentDHCP(interface)
    let xid = discover.be32(4)
    interface.receive(SlirpPackets.dhcpReply(type: 2, xid: xid, leaseSeconds: 100), now: 1)
    _ = try sentDHCP(interface)
    interface.receive(SlirpPackets.dhcpReply(type: 5, xid: xid, leaseSeconds: 100), now: 2)
    #expect(interface.configuration != nil)
    var now: UInt64 = 2
    while interface.configuration != nil, let next = interface.nextPollTime(now: now) {
      now = next
      interface.poll(now: now)
      _ = interface.drain()
    }
    #expect(now == 100_002)
    #expect(guest.events.last == .leaseLost)
  }

  @Test func truncatedAndCookielessRepliesAreIgnored() throws {
    let guest = Guest()
    guest.interface.poll(now: 0)
    let (_, payload) = try sentDHCP(guest.interface)
    let offer = SlirpPackets.dhcpReply(type: 2, xid: payload.be32(4))
    var noCookie = Array(offer[42...])
    noCookie[236] = 0
    for bootp in [Array(offer[42..<(42 + 239)]), noCookie, Array(offer[42..<(42 + 243)])] {
      let frame = SlirpPackets.udpFrame(
        destinationMAC: .broadcast, source: Slirp.gateway, sourcePort: 67, destination: .broadcast,
        destinationPort: 68, payload: bootp)
      guest.interface.receive(frame, now: 1)
      #expect(guest.interface.drain().isEmpty)
    }
  }
}
