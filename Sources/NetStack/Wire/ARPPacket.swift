// ARP for IPv4 over Ethernet, RFC 826: hardware type 1, protocol type 0x0800,
// hardware length 6, protocol length 4, then the operation and the
// sender/target hardware and protocol addresses (28 bytes).

/// A length-checked view of an Ethernet/IPv4 ARP packet.
struct ARPPacket {
  static let length = 28
  static let request: UInt16 = 1
  static let reply: UInt16 = 2

  let bytes: UnsafeRawBufferPointer

  /// Nil unless the packet is long enough and is Ethernet/IPv4 ARP ("?Do I
  /// have the hardware type in ar$hrd? ... ?Do I speak the protocol in ar$pro?").
  init?(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= ARPPacket.length,
      bytes.netUInt16(at: 0) == 1,
      bytes.netUInt16(at: 2) == EtherType.ipv4,
      bytes[4] == 6, bytes[5] == 4
    else { return nil }
    self.bytes = bytes
  }

  var operation: UInt16 { bytes.netUInt16(at: 6) }
  var senderHardwareAddress: MACAddress { MACAddress(bytes, at: 8) }
  var senderProtocolAddress: IPv4Address { IPv4Address(bytes, at: 14) }
  var targetHardwareAddress: MACAddress { MACAddress(bytes, at: 18) }
  var targetProtocolAddress: IPv4Address { IPv4Address(bytes, at: 24) }

  /// Appends a packet to `frame`.
  static func emit(
    operation: UInt16, senderHardware: MACAddress, senderProtocol: IPv4Address,
    targetHardware: MACAddress, targetProtocol: IPv4Address, into frame: inout [UInt8]
  ) {
    frame.appendNetUInt16(1)
    frame.appendNetUInt16(EtherType.ipv4)
    frame.append(6)
    frame.append(4)
    frame.appendNetUInt16(operation)
    frame.appendMAC(senderHardware)
    frame.appendIPv4(senderProtocol)
    frame.appendMAC(targetHardware)
    frame.appendIPv4(targetProtocol)
  }
}
