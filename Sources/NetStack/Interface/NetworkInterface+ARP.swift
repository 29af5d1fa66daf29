// ARP input and output for the interface (RFC 826 "Packet Reception" and
// "Packet Generation"), and the announcement of an address once it is ours
// (RFC 5227 §2.3).

extension NetworkInterface {
  /// RFC 826: merge the sender into the table if present ("Merge_flag"); if
  /// we are the target, add it, and answer a request with our address.
  func handleARP(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
    guard let packet = ARPPacket(bytes) else { return drop() }
    guard let configuration else { return drop() }
    let sender = packet.senderProtocolAddress
    let senderMAC = packet.senderHardwareAddress
    let operation = packet.operation
    guard operation == ARPPacket.request || operation == ARPPacket.reply,
      !sender.isBroadcast, !sender.isMulticast, !senderMAC.isMulticast
    else { return drop() }
    let forUs = packet.targetProtocolAddress == configuration.address
    if !sender.isUnspecified {
      for frame in arpCache.update(sender, hardwareAddress: senderMAC, now: now, create: forUs) {
        enqueue(frame)
      }
    }
    guard forUs, operation == ARPPacket.request else { return }
    var reply: [UInt8] = []
    reply.reserveCapacity(EthernetFrame.headerLength + ARPPacket.length)
    EthernetFrame.emitHeader(
      destination: senderMAC, source: mac, etherType: EtherType.arp, into: &reply)
    ARPPacket.emit(
      operation: ARPPacket.reply, senderHardware: mac, senderProtocol: configuration.address,
      targetHardware: senderMAC, targetProtocol: sender, into: &reply)
    enqueue(reply)
  }

  /// Broadcasts "who has `address`? tell <our address>".
  func sendARPRequest(for address: IPv4Address) {
    guard let configuration else { return }
    var request: [UInt8] = []
    request.reserveCapacity(EthernetFrame.headerLength + ARPPacket.length)
    EthernetFrame.emitHeader(
      destination: .broadcast, source: mac, etherType: EtherType.arp, into: &request)
    ARPPacket.emit(
      operation: ARPPacket.request, senderHardware: mac, senderProtocol: configuration.address,
      targetHardware: .zero, targetProtocol: address, into: &request)
    enqueue(request)
  }

  /// RFC 5227 §2.3: an ARP Announcement, a broadcast request whose sender
  /// and target protocol addresses are both ours ("identical to an ARP
  /// Probe ... except that now the sender and target IP addresses are both
  /// set to the host's newly selected IPv4 address").
  ///
  /// A link that learns its peer's MAC from the peer's first frame (passt,
  /// a switch's forwarding table) can then reach a guest that is configured
  /// statically and would otherwise send nothing until a socket needs to.
  /// One announcement, not §2.3's two spaced two seconds apart: none of
  /// §2.4's conflict defence depends on it, and a virtual link does not lose
  /// the first.
  public func announce() {
    guard let configuration else { return }
    sendARPRequest(for: configuration.address)
  }
}
