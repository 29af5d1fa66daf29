import Testing

@testable import NetStack

/// Sources no host sends from (RFC 1122 §3.2.1.3) and ARP queues under a
/// flood of destinations.
@Suite struct HostileSourceTests {
  private func datagram(from source: IPv4Address, sourceMAC: MACAddress = Slirp.gatewayMAC)
    -> [UInt8]
  {
    SlirpPackets.udpFrame(
      sourceMAC: sourceMAC, destinationMAC: Slirp.guestMAC, source: source, sourcePort: 9,
      destination: Slirp.guest, destinationPort: 5353, payload: [1, 2, 3])
  }

  @Test(arguments: [
    IPv4Address(10, 0, 2, 255), IPv4Address(255, 255, 255, 255), IPv4Address(224, 0, 0, 1),
  ])
  func datagramFromBroadcastOrMulticastSourceIsDropped(source: IPv4Address) throws {
    let interface = Slirp.guestInterface()
    let socket = try interface.udpBind(port: 5353).get()
    interface.receive(datagram(from: source), now: 1)
    #expect(interface.udpQueuedCount(socket) == 0)
    #expect(interface.drain().isEmpty)  // no ICMP or ARP in answer
    interface.receive(datagram(from: Slirp.gateway), now: 2)
    #expect(interface.udpQueuedCount(socket) == 1)
  }

  @Test func frameFromGroupMACIsDropped() throws {
    let interface = Slirp.guestInterface()
    let socket = try interface.udpBind(port: 5353).get()
    interface.receive(
      datagram(from: Slirp.gateway, sourceMAC: MACAddress(0x01, 0, 0x5e, 0, 0, 1)), now: 1)
    #expect(interface.udpQueuedCount(socket) == 0)
  }

  @Test func unresolvedDestinationsAndTheirFramesAreBounded() throws {
    let interface = Slirp.guestInterface()
    let socket = try interface.udpBind(port: 0).get()
    var requests = 0
    for host in 0..<200 {
      for _ in 0..<4 {
        _ = [UInt8](repeating: 7, count: 32).withUnsafeBytes {
          interface.udpSend(
            socket, to: IPv4Address(10, 0, 2, UInt8(16 + host % 200)), port: 9, $0, now: 1)
        }
      }
      requests += interface.drain().count
    }
    #expect(interface.arpCache.resolutions.count == ARPCache.maximumResolutions)
    #expect(interface.arpCache.queuedFrames == ARPCache.maximumQueuedFramesInAll)
    #expect(requests == ARPCache.maximumResolutions)
    // Once the resolutions give up, room comes back.
    for now: UInt64 in [1_001, 2_001, 3_001] { interface.poll(now: now) }
    #expect(interface.arpCache.resolutions.isEmpty)
    #expect(interface.arpCache.queuedFrames == 0)
  }
}
