import Testing

@testable import NetStack

@Suite struct LoopbackTests {
  /// Drains the interface (which delivers loopback frames internally) until quiet.
  private func settle(_ interface: NetworkInterface) -> [[UInt8]] {
    var external: [[UInt8]] = []
    while let frame = interface.dequeueFrame() { external.append(frame) }
    return external
  }

  @Test(arguments: [Slirp.guest, IPv4Address(127, 0, 0, 1)])
  func tcpToOwnAddressConnectsAndCarriesData(address: IPv4Address) throws {
    let interface = Slirp.guestInterface()
    let listener = try interface.tcpListen(port: 8080, backlog: 1).get()
    let client = try interface.tcpConnect(to: address, port: 8080, now: 1).get()
    #expect(settle(interface).isEmpty)  // nothing reaches the wire
    #expect(interface.tcpState(client) == .established)
    let server = try interface.tcpAccept(listener).get()
    let message = Array("ping".utf8)
    _ = message.withUnsafeBytes { interface.tcpSend(client, $0, now: 2) }
    #expect(settle(interface).isEmpty)
    var buffer = [UInt8](repeating: 0, count: 16)
    let count = try buffer.withUnsafeMutableBytes {
      try interface.tcpReceive(server, into: $0).get()
    }
    #expect(Array(buffer[0..<count]) == message)
  }

  @Test func loopbackDestinationFromTheWireIsDropped() {
    let interface = Slirp.guestInterface()
    _ = try? interface.udpBind(port: 6000).get()
    let frame = SlirpPackets.udpFrame(
      destinationMAC: Slirp.guestMAC, source: Slirp.gateway, sourcePort: 1,
      destination: IPv4Address(127, 0, 0, 1), destinationPort: 6000, payload: [1])
    interface.receive(frame, now: 1)
    #expect(interface.droppedFrames == 1)
    #expect(interface.drain().isEmpty)
  }
}
