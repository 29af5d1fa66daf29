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
  /// Destination-unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
  static let networkUnreachable: UInt8 = 0
  static let hostUnreachable: UInt8 = 1
  static let protocolUnreachable: UInt8 = 2
  static let portUnreachable: UInt8 = 3
  /// "fragmentation needed and DF set"; RFC 1191 §4 puts the next-hop MTU
  /// in the low 16 bits of the rest of the header.
  static let fragmentationNeeded: UInt8 = 4
  static let networkUnknown: UInt8 = 6
  static let networkProhibited: UInt8 = 9
  static let networkUnreachableForTOS: UInt8 = 11

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
  /// RFC 1191 §4: the MTU of the next hop in "fragmentation needed" (0 from
  /// routers older than RFC 1191).
  var nextHopMTU: UInt16 { bytes.netUInt16(at: 6) }

  /// What an error message says of the datagram it answers: RFC 792's
  /// "Internet Header + 64 bits of Original Data Datagram".
  struct Quoted {
    var source: IPv4Address
    var destination: IPv4Address
    var protocolNumber: UInt8
    var totalLength: Int
    /// The first 8 bytes of the transport header (TCP: ports and sequence number).
    var transport: UnsafeRawBufferPointer
  }

  /// The quoted datagram of an error message; nil if the quote is short or
  /// not IPv4. Its Total Length is that of the whole original datagram,
  /// most of which the quote leaves out.
  var quoted: Quoted? {
    let data = payload
    guard data.count >= IPv4Packet.minimumHeaderLength, data[0] >> 4 == 4 else { return nil }
    let headerLength = Int(data[0] & 0xf) * 4
    guard headerLength >= IPv4Packet.minimumHeaderLength, data.count >= headerLength + 8 else {
      return nil
    }
    return Quoted(
      source: IPv4Address(data, at: 12), destination: IPv4Address(data, at: 16),
      protocolNumber: data[9], totalLength: Int(data.netUInt16(at: 2)),
      transport: data.netSlice(headerLength..<headerLength + 8))
  }

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
