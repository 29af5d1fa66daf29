// ICMP for IPv4, RFC 792: type, code, checksum over the whole message, four
// bytes of "rest of header" (identifier and sequence number for echo), data.
// RFC 1122 §3.2.2.6: "Every host MUST implement an ICMP Echo server function
// that receives Echo Requests and sends corresponding Echo Replies."

/// A length-checked view of an ICMP message.
struct ICMPPacket {
  static let headerLength = 8
  static let echoReply: UInt8 = 0
  static let destinationUnreachable: UInt8 = 3
  static let echoRequest: UInt8 = 8
  /// Destination-unreachable code "port unreachable".
  static let portUnreachable: UInt8 = 3

  let bytes: UnsafeRawBufferPointer

  init?(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= ICMPPacket.headerLength else { return nil }
    self.bytes = bytes
  }

  var type: UInt8 { bytes[0] }
  var code: UInt8 { bytes[1] }
  var identifier: UInt16 { bytes.netUInt16(at: 4) }
  var sequenceNumber: UInt16 { bytes.netUInt16(at: 6) }
  var payload: UnsafeRawBufferPointer { bytes.netSlice(ICMPPacket.headerLength..<bytes.count) }

  var isChecksumValid: Bool { InternetChecksum.finish(InternetChecksum.add(bytes)) == 0 }

  /// Appends a message to `frame`: the checksum covers the bytes appended here.
  static func emit(
    type: UInt8, code: UInt8, restOfHeader: UInt32, payload: UnsafeRawBufferPointer,
    into frame: inout [UInt8]
  ) {
    let start = frame.count
    frame.append(type)
    frame.append(code)
    frame.appendNetUInt16(0)
    frame.appendNetUInt32(restOfHeader)
    frame.appendBytes(payload)
    let checksum = InternetChecksum.finish(InternetChecksum.add(frame, start..<frame.count))
    frame.setNetUInt16(checksum, at: start + 2)
  }
}
