// Ethernet II framing (IEEE 802.3-2018 §3.1.1; RFC 894 for IPv4 over
// Ethernet): destination, source, EtherType, payload. The NIC strips the FCS.
// Frames shorter than 60 bytes are padded by the sender (RFC 894 "minimum
// length"), so payload parsers must trim to their own length fields.

/// EtherType values (IEEE Registration Authority).
enum EtherType {
  static let ipv4: UInt16 = 0x0800
  static let arp: UInt16 = 0x0806
}

/// A length-checked view of an Ethernet II frame.
struct EthernetFrame {
  static let headerLength = 14
  /// The largest payload without jumbo frames (IEEE 802.3 maxFrameSize 1518 - 18).
  static let mtu = 1500

  let bytes: UnsafeRawBufferPointer

  /// Nil if the frame cannot hold an Ethernet header.
  init?(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= EthernetFrame.headerLength else { return nil }
    self.bytes = bytes
  }

  var destination: MACAddress { MACAddress(bytes, at: 0) }
  var source: MACAddress { MACAddress(bytes, at: 6) }
  var etherType: UInt16 { bytes.netUInt16(at: 12) }
  var payload: UnsafeRawBufferPointer { bytes.netSlice(EthernetFrame.headerLength..<bytes.count) }

  /// Appends a header to `frame`.
  static func emitHeader(
    destination: MACAddress, source: MACAddress, etherType: UInt16, into frame: inout [UInt8]
  ) {
    frame.appendMAC(destination)
    frame.appendMAC(source)
    frame.appendNetUInt16(etherType)
  }

  /// Writes a header over the first `headerLength` bytes of `frame`, which its
  /// builder reserved (no second array per frame sent).
  static func writeHeader(
    destination: MACAddress, source: MACAddress, etherType: UInt16, into frame: inout [UInt8]
  ) {
    setMAC(destination, in: &frame, at: 0)
    setMAC(source, in: &frame, at: 6)
    frame.setNetUInt16(etherType, at: 12)
  }

  /// Overwrites the destination of a frame built with a placeholder.
  static func setDestination(_ destination: MACAddress, in frame: inout [UInt8]) {
    setMAC(destination, in: &frame, at: 0)
  }

  private static func setMAC(_ mac: MACAddress, in frame: inout [UInt8], at offset: Int) {
    frame[offset] = mac.bytes.0
    frame[offset + 1] = mac.bytes.1
    frame[offset + 2] = mac.bytes.2
    frame[offset + 3] = mac.bytes.3
    frame[offset + 4] = mac.bytes.4
    frame[offset + 5] = mac.bytes.5
  }
}
