// The stack's generator of values that go on the wire and must not be
// guessed (DHCP xids, DNS IDs and source ports, ephemeral ports, the first
// IP identification): SipHash-2-4 of a counter under a 128-bit key, a
// pseudorandom function in counter mode. Seeing outputs tells nothing of the
// key or of the other outputs. Secrets are never drawn from it: the TCP ISN
// and SYN cookie key is a key of its own (NetworkKeys.secret).

struct NetRandom {
  private let key: SipHashKey
  private var counter: UInt64 = 0

  init(key: SipHashKey) {
    self.key = key
  }

  mutating func next() -> UInt64 {
    counter &+= 1
    var hash = SipHash(key: key)
    hash.append(counter)
    return hash.finalize()
  }

  mutating func next32() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 32) }
  mutating func next16() -> UInt16 { UInt16(truncatingIfNeeded: next() >> 48) }
}
