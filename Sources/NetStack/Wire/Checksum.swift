// The Internet checksum, RFC 1071: the 16-bit ones' complement of the ones'
// complement sum of the data taken as big-endian 16-bit words (an odd final
// byte is padded with zero). IPv4 (RFC 791 §3.1), ICMP (RFC 792), UDP (RFC 768)
// and TCP (RFC 9293 §3.1) all use it; UDP and TCP also cover a pseudo-header.

enum InternetChecksum {
  /// Adds `bytes` as big-endian 16-bit words to a running sum. Only the last
  /// chunk of a checksummed area may have an odd length.
  static func add(_ bytes: UnsafeRawBufferPointer, to sum: UInt64 = 0) -> UInt64 {
    var total = sum
    let count = bytes.count
    var index = 0
    // 32-bit words sum to the same folded result as 16-bit ones (RFC 1071
    // §2(C): "the sum may be computed in ... larger units").
    while index + 4 <= count {
      total &+= UInt64(
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)))
      index += 4
    }
    while index + 1 < count {
      total &+= UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
      index += 2
    }
    if index < count {
      total &+= UInt64(bytes[index]) << 8
    }
    return total
  }

  /// Adds `bytes[range]` of an array.
  static func add(_ bytes: [UInt8], _ range: Range<Int>, to sum: UInt64 = 0) -> UInt64 {
    bytes.withUnsafeBytes { add($0.netSlice(range), to: sum) }
  }

  /// Folds the carries back in (RFC 1071 §4.1) and complements.
  static func finish(_ sum: UInt64) -> UInt16 {
    var folded = sum
    while folded >> 16 != 0 {
      folded = (folded & 0xffff) &+ (folded >> 16)
    }
    return ~UInt16(truncatingIfNeeded: folded)
  }

  /// The sum of the UDP/TCP pseudo-header (RFC 768; RFC 9293 §3.1): source,
  /// destination, zero, protocol, and the transport length.
  static func pseudoHeader(
    source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, length: Int
  ) -> UInt64 {
    UInt64(source.value >> 16) + UInt64(source.value & 0xffff) + UInt64(destination.value >> 16)
      + UInt64(destination.value & 0xffff) + UInt64(protocolNumber) + UInt64(length)
  }
}
