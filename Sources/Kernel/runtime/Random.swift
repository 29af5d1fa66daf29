// Randomness for the app, for Embedded Swift's Hasher (Dictionary, Set) and for keys.
// RDRAND when the CPU has it; otherwise a SplitMix64 stream seeded from the time
// stamp counter at each call, which is weak but never a constant. The stream's
// state advances with one atomic add, so callers on different cores at the same
// time still get different states (and words).
import Synchronization

let fallbackRandomState = Atomic<UInt64>(0)

func randomWord() -> UInt64 {
  if let value = Arch.hardwareRandom() { return value }
  // SplitMix64 (Steele, Lea, Flood 2014), state stirred with the TSC.
  var z = fallbackRandomState.wrappingAdd(
    0x9E37_79B9_7F4A_7C15 &+ Arch.timestamp(), ordering: .relaxed
  ).newValue
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

@_cdecl("arc4random_buf")
func arc4randomBuffer(_ buffer: UnsafeMutableRawPointer?, _ count: Int) {
  guard let buffer else { return }
  var offset = 0
  while offset < count {
    var word = randomWord()
    let chunk = min(8, count - offset)
    withUnsafeBytes(of: &word) { bytes in
      for index in 0..<chunk {
        buffer.storeBytes(of: bytes[index], toByteOffset: offset + index, as: UInt8.self)
      }
    }
    offset += chunk
  }
}

/// Fills `buffer` with random bytes.
public func randomBytes(_ buffer: UnsafeMutableRawBufferPointer) {
  arc4randomBuffer(buffer.baseAddress, buffer.count)
}

/// A random 64-bit value.
public func randomUInt64() -> UInt64 { randomWord() }

/// 64 bits for a key: RDSEED where the CPU has it (each word fresh from the
/// entropy source), else `randomWord`.
func seedWord() -> UInt64 {
  Arch.hardwareSeed() ?? randomWord()
}

/// A 128-bit key of seed words.
func randomKey() -> SipHashKey {
  SipHashKey(k0: seedWord(), k1: seedWord())
}
