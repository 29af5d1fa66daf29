// UDP, RFC 768: source port, destination port, length (header + data),
// checksum over the pseudo-header, header and data. A transmitted checksum of
// zero means "none"; a computed zero is sent as all ones.

/// A length-checked view of a UDP datagram, trimmed to its Length field.
struct UDPDatagram {
  static let headerLength = 8

  let bytes: UnsafeRawBufferPointer

  /// Nil if the Length field is below 8 or beyond the buffer.
  init?(_ buffer: UnsafeRawBufferPointer) {
    guard buffer.count >= UDPDatagram.headerLength else { return nil }
    let length = Int(buffer.netUInt16(at: 4))
    guard length >= UDPDatagram.headerLength, length <= buffer.count else { return nil }
    bytes = buffer.netSlice(0..<length)
  }

  var sourcePort: UInt16 { bytes.netUInt16(at: 0) }
  var destinationPort: UInt16 { bytes.netUInt16(at: 2) }
  var checksum: UInt16 { bytes.netUInt16(at: 6) }
  var payload: UnsafeRawBufferPointer { bytes.netSlice(UDPDatagram.headerLength..<bytes.count) }

  /// True if the checksum is absent (zero) or verifies.
  func isChecksumValid(source: IPv4Address, destination: IPv4Address) -> Bool {
    guard checksum != 0 else { return true }
    let pseudo = InternetChecksum.pseudoHeader(
      source: source, destination: destination, protocolNumber: IPProtocol.udp,
      length: bytes.count)
    return InternetChecksum.finish(InternetChecksum.add(bytes, to: pseudo)) == 0
  }

  /// Appends a datagram to `frame`.
  static func emit(
    sourcePort: UInt16, destinationPort: UInt16, payload: UnsafeRawBufferPointer,
    source: IPv4Address, destination: IPv4Address, into frame: inout [UInt8]
  ) {
    let start = frame.count
    let length = headerLength + payload.count
    frame.appendNetUInt16(sourcePort)
    frame.appendNetUInt16(destinationPort)
    frame.appendNetUInt16(UInt16(length))
    frame.appendNetUInt16(0)
    frame.appendBytes(payload)
    let pseudo = InternetChecksum.pseudoHeader(
      source: source, destination: destination, protocolNumber: IPProtocol.udp, length: length)
    var checksum = InternetChecksum.finish(
      InternetChecksum.add(frame, start..<frame.count, to: pseudo))
    if checksum == 0 { checksum = 0xffff }
    frame.setNetUInt16(checksum, at: start + 6)
  }
}
