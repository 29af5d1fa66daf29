import Testing

@testable import NetStack

@Suite struct NetworkInterfaceUDPTests {
  private func interfaceKnowingGateway() -> NetworkInterface {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    return interface
  }

  @Test func sendBuildsChecksummedDatagramToGateway() throws {
    let interface = interfaceKnowingGateway()
    let socket = try interface.udpBind(port: 5000).get()
    let payload: [UInt8] = Array("hello".utf8)
    let sent = payload.withUnsafeBytes {
      interface.udpSend(socket, to: Slirp.gateway, port: 7, $0, now: 1)
    }
    #expect(sent == .success(5))
    let frames = interface.drain()
    try #require(frames.count == 1)
    let datagram = try #require(SentUDP(frames[0]))
    #expect(datagram.destinationMAC == Slirp.gatewayMAC.octets)
    #expect(datagram.source == Slirp.guest)
    #expect(datagram.destination == Slirp.gateway)
    #expect(datagram.sourcePort == 5000)
    #expect(datagram.destinationPort == 7)
    #expect(datagram.payload == payload)
  }

  @Test func offLinkDestinationGoesThroughGateway() throws {
    let interface = interfaceKnowingGateway()
    let socket = try interface.udpBind(port: 0).get()
    let port = try #require(interface.udpLocalPort(socket))
    #expect(port >= 49152)
    _ = [UInt8(1)].withUnsafeBytes {
      interface.udpSend(socket, to: IPv4Address(8, 8, 8, 8), port: 53, $0, now: 1)
    }
    let datagram = try #require(interface.drain().first.flatMap(SentUDP.init))
    #expect(datagram.destinationMAC == Slirp.gatewayMAC.octets)
    #expect(datagram.destination == IPv4Address(8, 8, 8, 8))
  }

  @Test func receivedDatagramIsQueuedWithSender() throws {
    let interface = interfaceKnowingGateway()
    let socket = try interface.udpBind(port: 6000).get()
    let frame = SlirpPackets.udpFrame(
      destinationMAC: Slirp.guestMAC, source: Slirp.gateway, sourcePort: 1234,
      destination: Slirp.guest, destinationPort: 6000, payload: [1, 2, 3, 4, 5])
    interface.receive(frame, now: 1)
    #expect(interface.udpQueuedCount(socket) == 1)
    var buffer = [UInt8](repeating: 0, count: 3)
    let result = buffer.withUnsafeMutableBytes { interface.udpReceive(socket, into: $0) }
    let received = try result.get()
    #expect(received.count == 3)
    #expect(received.from == Slirp.gateway)
    #expect(received.port == 1234)
    #expect(buffer == [1, 2, 3])
    let empty = buffer.withUnsafeMutableBytes { interface.udpReceive(socket, into: $0) }
    #expect(throws: NetError.wouldBlock) { try empty.get() }
  }

  @Test func datagramToUnboundPortGetsPortUnreachable() throws {
    let interface = interfaceKnowingGateway()
    let frame = SlirpPackets.udpFrame(
      destinationMAC: Slirp.guestMAC, source: Slirp.gateway, sourcePort: 1234,
      destination: Slirp.guest, destinationPort: 9, payload: [1, 2, 3])
    interface.receive(frame, now: 1)
    let reply = try #require(interface.drain().first)
    #expect(reply[23] == IPProtocol.icmp)
    #expect(reply[34] == ICMPPacket.destinationUnreachable)
    #expect(reply[35] == ICMPPacket.portUnreachable)
    #expect(Array(reply[42...]) == Array(frame[14..<42]))
  }

  @Test func badUDPChecksumIsDropped() {
    let interface = interfaceKnowingGateway()
    let socket = try? interface.udpBind(port: 6000).get()
    var frame = SlirpPackets.udpFrame(
      destinationMAC: Slirp.guestMAC, source: Slirp.gateway, sourcePort: 1234,
      destination: Slirp.guest, destinationPort: 6000, payload: [1, 2, 3])
    frame[42] ^= 0xff
    interface.receive(frame, now: 1)
    #expect(interface.udpQueuedCount(socket!) == 0)
    #expect(interface.droppedFrames == 1)
  }

  @Test func secondBindOfPortFailsUntilClosed() throws {
    let interface = interfaceKnowingGateway()
    let first = try interface.udpBind(port: 7000).get()
    #expect(throws: NetError.addressInUse) { try interface.udpBind(port: 7000).get() }
    interface.udpClose(first)
    #expect(throws: Never.self) { try interface.udpBind(port: 7000).get() }
  }

  @Test func oversizedDatagramIsRefused() throws {
    let interface = interfaceKnowingGateway()
    let socket = try interface.udpBind(port: 0).get()
    let big = [UInt8](repeating: 0, count: NetworkInterface.maximumUDPPayload + 1)
    let result = big.withUnsafeBytes {
      interface.udpSend(socket, to: Slirp.gateway, port: 7, $0, now: 1)
    }
    #expect(result == .failure(.invalidArgument))
  }
}
