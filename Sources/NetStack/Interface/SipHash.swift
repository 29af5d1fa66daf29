// SipHash-2-4 (Aumasson, Bernstein, "SipHash: a fast short-input PRF",
// INDOCRYPT 2012; reference code github.com/veorq/SipHash): a keyed hash with
// a 128-bit key and a 64-bit output that, without the key, cannot be told
// from random or inverted. The stack's keyed functions use it: the generator
// of values that go on the wire (NetRandom), TCP initial sequence numbers
// (RFC 6528 §3 suggests a keyed hash such as this) and SYN cookies.
//
// Input is consumed as little-endian bytes; `append(_ word:)` adds the eight
// bytes of a UInt64, so fixed-size inputs need no buffer.

/// A 128-bit SipHash key, as the reference code's k0 (bytes 0...7) and k1
/// (bytes 8...15), each little-endian.
public struct SipHashKey: Equatable, Sendable {
  public var k0: UInt64
  public var k1: UInt64

  public init(k0: UInt64, k1: UInt64) {
    self.k0 = k0
    self.k1 = k1
  }
}

/// An incremental SipHash-2-4 computation.
struct SipHash {
  private var v0: UInt64
  private var v1: UInt64
  private var v2: UInt64
  private var v3: UInt64
  /// Bytes not yet compressed, little-endian in the low `count % 8` bytes.
  private var tail: UInt64 = 0
  /// Bytes appended so far.
  private var count = 0

  init(key: SipHashKey) {
    // "somepseudorandomlygeneratedbytes"
    v0 = key.k0 ^ 0x736f_6d65_7073_6575
    v1 = key.k1 ^ 0x646f_7261_6e64_6f6d
    v2 = key.k0 ^ 0x6c79_6765_6e65_7261
    v3 = key.k1 ^ 0x7465_6462_7974_6573
  }

  /// SipHash-2-4 of `bytes` under `key`.
  static func hash(_ bytes: UnsafeRawBufferPointer, key: SipHashKey) -> UInt64 {
    var hasher = SipHash(key: key)
    hasher.append(bytes)
    return hasher.finalize()
  }

  mutating func append(_ bytes: UnsafeRawBufferPointer) {
    for byte in bytes { append(byte) }
  }

  mutating func append(_ byte: UInt8) {
    tail |= UInt64(byte) << UInt64(8 * (count & 7))
    count += 1
    if count & 7 == 0 {
      compress(tail)
      tail = 0
    }
  }

  /// Appends the eight bytes of `word`, least significant first.
  mutating func append(_ word: UInt64) {
    let shift = UInt64(8 * (count & 7))
    if shift == 0 {
      compress(word)
    } else {
      compress(tail | word << shift)
      tail = word >> (64 - shift)
    }
    count += 8
  }

  /// The 64-bit hash: the last block carries the length's low byte on top.
  consuming func finalize() -> UInt64 {
    compress(tail | UInt64(truncatingIfNeeded: count & 0xff) << 56)
    v2 ^= 0xff
    for _ in 0..<4 { round() }
    return v0 ^ v1 ^ v2 ^ v3
  }

  /// Two rounds per message block (the "2" of 2-4).
  private mutating func compress(_ block: UInt64) {
    v3 ^= block
    round()
    round()
    v0 ^= block
  }

  private mutating func round() {
    v0 &+= v1
    v1 = rotate(v1, 13)
    v1 ^= v0
    v0 = rotate(v0, 32)
    v2 &+= v3
    v3 = rotate(v3, 16)
    v3 ^= v2
    v0 &+= v3
    v3 = rotate(v3, 21)
    v3 ^= v0
    v2 &+= v1
    v1 = rotate(v1, 17)
    v1 ^= v2
    v2 = rotate(v2, 32)
  }

  private func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 {
    value << bits | value >> (64 - bits)
  }
}
