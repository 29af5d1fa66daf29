// TCP header, RFC 9293 §3.1:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   |          Source Port          |       Destination Port        |
//   |                        Sequence Number                        |
//   |                    Acknowledgment Number                      |
//   |  Data |       |C|E|U|A|P|R|S|F|                               |
//   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//   |           Checksum            |         Urgent Pointer        |
//   |                           [Options]                           |
//
// Options read and written: MSS (kind 2, RFC 9293 §3.2), Window Scale (kind
// 3, RFC 7323 §2), SACK-Permitted (kind 4) and SACK (kind 5, RFC 2018 §2-3);
// others (timestamps) are skipped.

/// TCP control bits.
struct TCPFlags: OptionSet, Equatable {
  let rawValue: UInt8
  static let fin = TCPFlags(rawValue: 0x01)
  static let syn = TCPFlags(rawValue: 0x02)
  static let rst = TCPFlags(rawValue: 0x04)
  static let psh = TCPFlags(rawValue: 0x08)
  static let ack = TCPFlags(rawValue: 0x10)
  static let urg = TCPFlags(rawValue: 0x20)
}

/// The header fields the stack sends (smoltcp's TcpRepr without payload).
struct TCPHeader: Equatable {
  var sourcePort: UInt16
  var destinationPort: UInt16
  var sequenceNumber: UInt32
  var acknowledgmentNumber: UInt32
  var flags: TCPFlags
  var window: UInt16
  /// Sent only with SYN.
  var maximumSegmentSize: UInt16? = nil
  /// Sent only with SYN; the shift count 0...14.
  var windowScale: UInt8? = nil
  /// Sent only with SYN (RFC 2018 §2).
  var sackPermitted = false
  /// At most `TCPSackBlock.maximumCount`, the first the most recent (RFC 2018 §4).
  var sackBlocks: [TCPSackBlock] = []

  /// Option bytes `TCPSegment.emitHeader` writes for the SACK blocks.
  var sackOptionLength: Int { sackBlocks.isEmpty ? 0 : 4 + 8 * sackBlocks.count }
}

/// A block of data the receiver holds beyond RCV.NXT (RFC 2018 §3): "Left
/// Edge ... the first sequence number of this block", "Right Edge ... the
/// sequence number immediately following the last sequence number of this block".
struct TCPSackBlock: Equatable {
  /// RFC 2018 §3: "a SACK option that specifies n blocks will have a length
  /// of 8*n+2 bytes, so the 40 bytes available for TCP options can specify a
  /// maximum of 4 blocks."
  static let maximumCount = 4

  var start: UInt32
  var end: UInt32
}

/// A length-checked view of a TCP segment.
struct TCPSegment {
  static let minimumHeaderLength = 20
  /// RFC 7323 §2.3: "the shift.cnt ... MUST [be limited] to 14".
  static let maximumWindowScale: UInt8 = 14

  let bytes: UnsafeRawBufferPointer
  let headerLength: Int

  /// Nil if the data offset is below 5 or past the segment.
  init?(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= TCPSegment.minimumHeaderLength else { return nil }
    let headerLength = Int(bytes[12] >> 4) * 4
    guard headerLength >= TCPSegment.minimumHeaderLength, headerLength <= bytes.count else {
      return nil
    }
    self.bytes = bytes
    self.headerLength = headerLength
  }

  var sourcePort: UInt16 { bytes.netUInt16(at: 0) }
  var destinationPort: UInt16 { bytes.netUInt16(at: 2) }
  var sequenceNumber: UInt32 { bytes.netUInt32(at: 4) }
  var acknowledgmentNumber: UInt32 { bytes.netUInt32(at: 8) }
  var flags: TCPFlags { TCPFlags(rawValue: bytes[13] & 0x3f) }
  var window: UInt16 { bytes.netUInt16(at: 14) }
  var payload: UnsafeRawBufferPointer { bytes.netSlice(headerLength..<bytes.count) }

  func isChecksumValid(source: IPv4Address, destination: IPv4Address) -> Bool {
    let pseudo = InternetChecksum.pseudoHeader(
      source: source, destination: destination, protocolNumber: IPProtocol.tcp,
      length: bytes.count)
    return InternetChecksum.finish(InternetChecksum.add(bytes, to: pseudo)) == 0
  }

  /// MSS and window scale from the options; a malformed option list ends
  /// parsing (RFC 9293 §3.1: "MUST be prepared to handle an illegal option
  /// length ... without crashing"). Window scale is capped at 14.
  var options: (maximumSegmentSize: UInt16?, windowScale: UInt8?) {
    var mss: UInt16?
    var scale: UInt8?
    forEachOption { kind, index, length in
      if kind == 2 && length == 4 { mss = bytes.netUInt16(at: index + 2) }
      if kind == 3 && length == 3 { scale = min(bytes[index + 2], TCPSegment.maximumWindowScale) }
    }
    return (mss, scale)
  }

  /// The SACK-Permitted option (kind 4, length 2) is present.
  var sackPermitted: Bool {
    var permitted = false
    forEachOption { kind, _, length in
      if kind == 4 && length == 2 { permitted = true }
    }
    return permitted
  }

  /// The blocks of a SACK option (kind 5, length 8 * n + 2, n = 1...4), in
  /// the order sent; none if the option is absent or malformed.
  var sackBlocks: [TCPSackBlock] {
    guard headerLength > TCPSegment.minimumHeaderLength else { return [] }
    var blocks: [TCPSackBlock] = []
    forEachOption { kind, index, length in
      guard kind == 5, length >= 10, (length - 2) % 8 == 0, blocks.isEmpty else { return }
      var offset = index + 2
      while offset < index + length {
        blocks.append(
          TCPSackBlock(start: bytes.netUInt32(at: offset), end: bytes.netUInt32(at: offset + 4)))
        offset += 8
      }
    }
    return blocks
  }

  /// Calls `body(kind, index, length)` for each option of two or more bytes;
  /// a malformed option list ends the walk (RFC 9293 §3.1: "MUST be
  /// prepared to handle an illegal option length ... without crashing").
  private func forEachOption(_ body: (UInt8, Int, Int) -> Void) {
    var index = TCPSegment.minimumHeaderLength
    while index < headerLength {
      let kind = bytes[index]
      if kind == 0 { break }  // end of option list
      if kind == 1 {  // no-operation
        index += 1
        continue
      }
      guard index + 1 < headerLength else { break }
      let length = Int(bytes[index + 1])
      guard length >= 2, index + length <= headerLength else { break }
      body(kind, index, length)
      index += length
    }
  }

  /// Appends `header` (with its options) to `frame`; append the payload, then
  /// call `finish`.
  static func emitHeader(_ header: TCPHeader, into frame: inout [UInt8]) {
    var optionBytes: [UInt8] = []
    if let mss = header.maximumSegmentSize {
      optionBytes += [2, 4]
      optionBytes.appendNetUInt16(mss)
    }
    if let scale = header.windowScale {
      optionBytes += [1, 3, 3, scale]  // NOP pads to a 4-byte boundary
    }
    if header.sackPermitted {
      optionBytes += [1, 1, 4, 2]
    }
    if !header.sackBlocks.isEmpty {
      optionBytes += [1, 1, 5, UInt8(2 + 8 * header.sackBlocks.count)]
      for block in header.sackBlocks {
        optionBytes.appendNetUInt32(block.start)
        optionBytes.appendNetUInt32(block.end)
      }
    }
    frame.appendNetUInt16(header.sourcePort)
    frame.appendNetUInt16(header.destinationPort)
    frame.appendNetUInt32(header.sequenceNumber)
    frame.appendNetUInt32(header.acknowledgmentNumber)
    frame.append(UInt8((minimumHeaderLength + optionBytes.count) / 4) << 4)
    frame.append(header.flags.rawValue)
    frame.appendNetUInt16(header.window)
    frame.appendNetUInt16(0)  // checksum
    frame.appendNetUInt16(0)  // urgent pointer
    frame.append(contentsOf: optionBytes)
  }

  /// Fills in the checksum of the segment at `start..<frame.count`; with
  /// `partial`, only the folded pseudo-header sum, for the NIC to complete
  /// (PartialChecksum.swift).
  static func finish(
    _ frame: inout [UInt8], segmentStart start: Int, source: IPv4Address,
    destination: IPv4Address, partial: Bool = false
  ) {
    let pseudo = InternetChecksum.pseudoHeader(
      source: source, destination: destination, protocolNumber: IPProtocol.tcp,
      length: frame.count - start)
    let checksum =
      partial
      ? ~InternetChecksum.finish(pseudo)
      : InternetChecksum.finish(InternetChecksum.add(frame, start..<frame.count, to: pseudo))
    frame.setNetUInt16(checksum, at: start + PartialChecksum.tcpChecksumOffset)
  }
}
