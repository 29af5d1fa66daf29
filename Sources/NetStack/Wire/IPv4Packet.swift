// IPv4, RFC 791 §3.1:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   |Version|  IHL  |Type of Service|          Total Length         |
//   |         Identification        |Flags|      Fragment Offset    |
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   |                       Source Address                          |
//   |                    Destination Address                        |
//   |                    Options                    |    Padding    |
//
// Fragments are not reassembled: a packet with MF set or a non-zero offset is
// dropped (RFC 1122 §3.3.2 lets a host limit reassembly; ours is "none").

/// IP protocol numbers (IANA).
enum IPProtocol {
  static let icmp: UInt8 = 1
  static let tcp: UInt8 = 6
  static let udp: UInt8 = 17
}

/// A length-checked view of an IPv4 packet, trimmed to its Total Length.
struct IPv4Packet {
  static let minimumHeaderLength = 20
  static let defaultTTL: UInt8 = 64
  /// "Don't Fragment" in the flags field.
  static let dontFragment: UInt16 = 0x4000
  static let moreFragments: UInt16 = 0x2000

  /// The packet, cut to Total Length (Ethernet padding removed).
  let bytes: UnsafeRawBufferPointer
  let headerLength: Int

  /// Nil if the version is not 4, the IHL is below 5, or the header or Total
  /// Length does not fit the buffer. The checksum is checked separately.
  init?(_ buffer: UnsafeRawBufferPointer) {
    guard buffer.count >= IPv4Packet.minimumHeaderLength, buffer[0] >> 4 == 4 else { return nil }
    let headerLength = Int(buffer[0] & 0xf) * 4
    let totalLength = Int(buffer.netUInt16(at: 2))
    guard headerLength >= IPv4Packet.minimumHeaderLength, totalLength >= headerLength,
      totalLength <= buffer.count
    else { return nil }
    self.bytes = buffer.netSlice(0..<totalLength)
    self.headerLength = headerLength
  }

  var totalLength: Int { bytes.count }
  var identification: UInt16 { bytes.netUInt16(at: 4) }
  var flagsAndOffset: UInt16 { bytes.netUInt16(at: 6) }
  /// MF set or a non-zero fragment offset.
  var isFragment: Bool { flagsAndOffset & (IPv4Packet.moreFragments | 0x1fff) != 0 }
  var timeToLive: UInt8 { bytes[8] }
  var protocolNumber: UInt8 { bytes[9] }
  var source: IPv4Address { IPv4Address(bytes, at: 12) }
  var destination: IPv4Address { IPv4Address(bytes, at: 16) }
  var payload: UnsafeRawBufferPointer { bytes.netSlice(headerLength..<bytes.count) }

  /// "The checksum field is the 16 bit one's complement of the one's
  /// complement sum of all 16 bit words in the header": summing the header
  /// including the field gives 0xffff, so the finished value is 0.
  var isChecksumValid: Bool {
    InternetChecksum.finish(InternetChecksum.add(bytes.netSlice(0..<headerLength))) == 0
  }

  /// Writes a 20-byte header (no options) at `offset` of `frame`, which
  /// already holds `payloadLength` payload bytes after it.
  static func writeHeader(
    source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, payloadLength: Int,
    identification: UInt16, timeToLive: UInt8 = IPv4Packet.defaultTTL,
    into frame: inout [UInt8], at offset: Int
  ) {
    var header: [UInt8] = []
    header.reserveCapacity(minimumHeaderLength)
    header.append(0x45)  // version 4, IHL 5
    header.append(0)  // type of service
    header.appendNetUInt16(UInt16(minimumHeaderLength + payloadLength))
    header.appendNetUInt16(identification)
    header.appendNetUInt16(dontFragment)
    header.append(timeToLive)
    header.append(protocolNumber)
    header.appendNetUInt16(0)  // checksum, filled below
    header.appendIPv4(source)
    header.appendIPv4(destination)
    let checksum = InternetChecksum.finish(InternetChecksum.add(header, 0..<header.count))
    header.setNetUInt16(checksum, at: 10)
    for index in 0..<minimumHeaderLength {
      frame[offset + index] = header[index]
    }
  }
}
