// SplitMix64 (Steele, Lea, Flood 2014): the stack's only source of
// "randomness" (DHCP xid, DNS ids, ephemeral ports, TCP ISN secret), seeded by
// the caller so that the stack itself reads no entropy and tests repeat.

struct NetRandom {
  private var state: UInt64

  init(seed: UInt64) {
    state = seed
  }

  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }

  mutating func next32() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 32) }
  mutating func next16() -> UInt16 { UInt16(truncatingIfNeeded: next() >> 48) }
}
