// The keys of the interface's keyed hashes. The kernel draws each from its
// entropy source (RDSEED, else RDRAND) at boot; the stack reads no entropy.

/// Two independent 128-bit keys.
public struct NetworkKeys: Sendable {
  /// Keys NetRandom: values that go on the wire (IP identification, DHCP
  /// xids, DNS IDs and ports, ephemeral ports).
  public var wire: SipHashKey
  /// Keys TCP initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987).
  /// Nothing sent depends on it except through SipHash, so no number of
  /// observed packets gives it away.
  public var secret: SipHashKey

  public init(wire: SipHashKey, secret: SipHashKey) {
    self.wire = wire
    self.secret = secret
  }

  /// Keys expanded from a 64-bit seed, for tests and fuzzing that must
  /// repeat: SipHash of the seed under a fixed key. A guest passes keys
  /// drawn from the hardware instead.
  public init(seed: UInt64) {
    func derive(_ index: UInt64) -> UInt64 {
      var hash = SipHash(key: SipHashKey(k0: 0, k1: 0))
      hash.append(seed)
      hash.append(index)
      return hash.finalize()
    }
    wire = SipHashKey(k0: derive(1), k1: derive(2))
    secret = SipHashKey(k0: derive(3), k1: derive(4))
  }
}
