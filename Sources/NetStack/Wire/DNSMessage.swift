// DNS messages, RFC 1035 §4.1: a 12-byte header (ID, flags, QDCOUNT,
// ANCOUNT, NSCOUNT, ARCOUNT), questions (QNAME, QTYPE, QCLASS) and resource
// records (NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA). Names are length-prefixed
// labels ending in a zero label, or a compression pointer (§4.1.4, top two
// bits set). Only A (type 1) records of class IN are read.

/// A length-checked view of a DNS response.
struct DNSMessage {
  static let headerLength = 12
  static let port: UInt16 = 53
  static let typeA: UInt16 = 1
  static let classIN: UInt16 = 1
  /// QR: this is a response.
  static let responseFlag: UInt16 = 0x8000
  /// RD: ask the server to recurse.
  static let recursionDesired: UInt16 = 0x0100
  /// TC: the message was cut to fit the datagram (§4.1.1).
  static let truncatedFlag: UInt16 = 0x0200
  static let nameError: UInt8 = 3
  /// §2.3.4: 63 octets per label, 255 per name on the wire.
  static let maximumLabelLength = 63
  static let maximumNameLength = 255

  let bytes: UnsafeRawBufferPointer

  init?(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= DNSMessage.headerLength else { return nil }
    self.bytes = bytes
  }

  var identifier: UInt16 { bytes.netUInt16(at: 0) }
  var flags: UInt16 { bytes.netUInt16(at: 2) }
  var isResponse: Bool { flags & DNSMessage.responseFlag != 0 }
  var opcode: UInt8 { UInt8(flags >> 11 & 0xf) }
  var responseCode: UInt8 { UInt8(flags & 0xf) }
  var isTruncated: Bool { flags & DNSMessage.truncatedFlag != 0 }
  var questionCount: Int { Int(bytes.netUInt16(at: 4)) }
  var answerCount: Int { Int(bytes.netUInt16(at: 6)) }

  /// The offset just past the name at `offset`, or nil if it runs off the
  /// message. A pointer ends the name, so skipping never loops.
  func skipName(at offset: Int) -> Int? {
    var index = offset
    while index < bytes.count {
      let length = bytes[index]
      if length == 0 { return index + 1 }
      if length & 0xc0 == 0xc0 { return index + 2 <= bytes.count ? index + 2 : nil }
      guard length & 0xc0 == 0 else { return nil }  // 0x40/0x80: reserved label types
      index += 1 + Int(length)
    }
    return nil
  }

  /// Whether the question section is exactly one question for the A
  /// records of class IN of `encodedName` (from `encodeName`), the name
  /// compared without regard to ASCII case (RFC 4343 §3). RFC 5452 §9.1:
  /// an answer to another question is not an answer to ours.
  func asks(encodedName: [UInt8]) -> Bool {
    guard questionCount == 1 else { return false }
    let start = DNSMessage.headerLength
    let end = start + encodedName.count
    guard end + 4 <= bytes.count else { return false }
    for index in 0..<encodedName.count {
      // Length bytes (at most 63) are below "A" and compare exactly.
      guard asciiLowercased(bytes[start + index]) == asciiLowercased(encodedName[index]) else {
        return false
      }
    }
    return bytes.netUInt16(at: end) == DNSMessage.typeA
      && bytes.netUInt16(at: end + 2) == DNSMessage.classIN
  }

  private func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
  }

  /// What the answer section says about an A query.
  enum Answer: Equatable {
    case address(IPv4Address)
    /// Well-formed, but no A record of class IN (NODATA).
    case noAddress
    /// The message ends inside a name or record before an A record.
    case malformed
  }

  /// The first A record of the answer section.
  var answer: Answer {
    var index = DNSMessage.headerLength
    for _ in 0..<questionCount {
      guard let end = skipName(at: index), end + 4 <= bytes.count else { return .malformed }
      index = end + 4
    }
    for _ in 0..<answerCount {
      guard let end = skipName(at: index), end + 10 <= bytes.count else { return .malformed }
      let type = bytes.netUInt16(at: end)
      let recordClass = bytes.netUInt16(at: end + 2)
      let length = Int(bytes.netUInt16(at: end + 8))
      let data = end + 10
      guard data + length <= bytes.count else { return .malformed }
      if type == DNSMessage.typeA && recordClass == DNSMessage.classIN && length == 4 {
        return .address(IPv4Address(bytes, at: data))
      }
      index = data + length
    }
    return .noAddress
  }

  /// The wire form of a host name: labels of 1...63 bytes, 255 bytes in all;
  /// one trailing dot is allowed. Nil for an invalid name.
  static func encodeName(_ name: String) -> [UInt8]? {
    var encoded: [UInt8] = []
    var label: [UInt8] = []
    var bytes = Array(name.utf8)
    if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
    guard !bytes.isEmpty else { return nil }
    for byte in bytes + [UInt8(ascii: ".")] {
      if byte == UInt8(ascii: ".") {
        guard !label.isEmpty, label.count <= maximumLabelLength else { return nil }
        encoded.append(UInt8(label.count))
        encoded.append(contentsOf: label)
        label.removeAll()
      } else {
        guard byte > 0x20, byte < 0x7f else { return nil }
        label.append(byte)
      }
    }
    encoded.append(0)
    guard encoded.count <= maximumNameLength else { return nil }
    return encoded
  }

  /// Appends a recursive query for the A records of `encodedName` to `frame`.
  static func emitQuery(identifier: UInt16, encodedName: [UInt8], into frame: inout [UInt8]) {
    frame.appendNetUInt16(identifier)
    frame.appendNetUInt16(recursionDesired)
    frame.appendNetUInt16(1)  // QDCOUNT
    frame.appendNetUInt16(0)  // ANCOUNT
    frame.appendNetUInt16(0)  // NSCOUNT
    frame.appendNetUInt16(0)  // ARCOUNT
    frame.append(contentsOf: encodedName)
    frame.appendNetUInt16(typeA)
    frame.appendNetUInt16(classIN)
  }
}
