// The checks and mutations of fuzz/NetFuzz, for the seeded fuzz tests.

@testable import NetStack

enum FrameChecks {
  /// Whether a transmitted frame is sane: 14...1514 bytes; IPv4 with a
  /// valid header checksum and a Total Length that fills the frame; ARP of 28 bytes.
  static func isWellFormed(_ frame: [UInt8]) -> Bool {
    guard frame.count >= 14 && frame.count <= 1514 else { return false }
    return frame.withUnsafeBytes { bytes in
      let payload = bytes.netSlice(14..<bytes.count)
      switch frame.be16(12) {
      case 0x0806: return payload.count == 28
      case 0x0800:
        guard let packet = IPv4Packet(payload) else { return false }
        return packet.isChecksumValid && packet.totalLength == payload.count
      default: return false
      }
    }
  }

  /// Recomputes the IPv4 header checksum and the ICMP/UDP/TCP checksum.
  static func repairChecksums(_ frame: inout [UInt8]) {
    guard frame.count >= 34, frame.be16(12) == 0x0800 else { return }
    let headerLength = Int(frame[14] & 0xf) * 4
    guard headerLength >= 20, 14 + headerLength <= frame.count else { return }
    frame = frame.withChecksum(over: 14..<14 + headerLength, at: 24)
    let total = min(Int(frame.be16(16)), frame.count - 14)
    let start = 14 + headerLength
    guard total > headerLength else { return }
    let end = 14 + total
    let source = IPv4Address(value: frame.be32(26))
    let destination = IPv4Address(value: frame.be32(30))
    let field: Int
    var pseudo: UInt64 = 0
    switch frame[23] {
    case 1: field = 2
    case 6, 17:
      field = frame[23] == 6 ? 16 : 6
      pseudo = InternetChecksum.pseudoHeader(
        source: source, destination: destination, protocolNumber: frame[23], length: end - start)
    default: return
    }
    guard start + field + 2 <= end else { return }
    frame = frame.withChecksum(over: start..<end, at: start + field, pseudo: pseudo)
  }

  /// A random mutation of `frame`: bit flips, byte overwrites, truncation,
  /// extension, or a copied run (libFuzzer's basic mutators).
  static func mutate(_ frame: [UInt8], _ random: inout TestRandom) -> [UInt8] {
    var result = frame
    for _ in 0...(random.next() % 4) {
      let position = result.isEmpty ? 0 : Int(random.next() % UInt64(result.count))
      switch random.next() % 6 {
      case 0 where !result.isEmpty: result[position] ^= UInt8(1 << (random.next() % 8))
      case 1 where !result.isEmpty: result[position] = UInt8(truncatingIfNeeded: random.next())
      case 2: result.removeSubrange(position..<result.count)
      case 3: result += random.bytes(Int(random.next() % 64))
      case 4 where !result.isEmpty:
        let special: [UInt8] = [0, 1, 0x7f, 0x80, 0xff]
        result[position] = special[Int(random.next() % 5)]
      default:
        if result.count > 4 {
          let from = Int(random.next() % UInt64(result.count - 2))
          let length = min(Int(random.next() % 8) + 1, result.count - max(from, position))
          if length > 0 {
            for offset in 0..<length { result[position + offset] = result[from + offset] }
          }
        }
      }
    }
    return result
  }
}
