import Testing

@testable import NetStack

/// RFC 6528 ISNs and the keys behind them (NetworkKeys, NetRandom).
@Suite struct InitialSequenceNumberTests {
  /// The generator the stack used before: SplitMix64 steps from the seed,
  /// whose second output keyed the ISNs and whose first and third went on the
  /// wire (IP identification, DHCP xid).
  private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9e37_79b9_7f4a_7c15
      var z = state
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }

    /// The state that produced `output`: each step of the finalizer is a bijection.
    static func invert(_ output: UInt64) -> UInt64 {
      var z = output
      z = z ^ (z >> 31) ^ (z >> 62)
      z &*= 0x3196_42b2_d24d_8ec3  // inverse of 0x94d049bb133111eb mod 2^64
      z = z ^ (z >> 27) ^ (z >> 54)
      z &*= 0x96de_1b17_3f11_9089  // inverse of 0xbf58476d1ce4e5b9 mod 2^64
      z = z ^ (z >> 30) ^ (z >> 60)
      return z
    }
  }

  private static let endpoints = TCPEndpoints(
    localPort: 80, remoteAddress: Slirp.gateway, remotePort: 40000)

  @Test func oldGeneratorGaveItsISNKeyAwayWithOneOutput() {
    // The weakness the keyed hash removes: one output of the old stream
    // (any value it put on the wire) gives its state and so the ISN key.
    var stream = SplitMix64(state: 0x1234_5678_9abc_def0)
    let onTheWire = stream.next()
    let secret = stream.next()
    var attacker = SplitMix64(state: SplitMix64.invert(onTheWire))
    #expect(attacker.next() == secret)
  }

  @Test func newGeneratorOutputsDoNotGiveItsNextOutput() {
    // The same attack on NetRandom: the outputs are SipHash values, and
    // inverting SplitMix64 on them predicts nothing.
    var random = NetRandom(key: NetworkKeys(seed: 0x1234_5678_9abc_def0).wire)
    let first = random.next()
    let second = random.next()
    var attacker = SplitMix64(state: SplitMix64.invert(first))
    #expect(attacker.next() != second)
    #expect(first != second)
  }

  @Test func isnDependsOnSecretKeyNotOnWireKey() {
    // Two interfaces whose wire generators agree send the same IP IDs, xids,
    // DNS IDs and ports, yet their ISNs differ: nothing on the wire
    // determines the ISN key.
    let wire = SipHashKey(k0: 1, k1: 2)
    let a = NetworkInterface(
      mac: Slirp.guestMAC, configuration: Slirp.configuration,
      keys: NetworkKeys(wire: wire, secret: SipHashKey(k0: 3, k1: 4)))
    let b = NetworkInterface(
      mac: Slirp.guestMAC, configuration: Slirp.configuration,
      keys: NetworkKeys(wire: wire, secret: SipHashKey(k0: 3, k1: 5)))
    #expect(a.nextIdentification == b.nextIdentification)
    #expect(a.random.next() == b.random.next())
    let isnA = a.initialSequenceNumber(Self.endpoints, localAddress: Slirp.guest, now: 0)
    let isnB = b.initialSequenceNumber(Self.endpoints, localAddress: Slirp.guest, now: 0)
    #expect(isnA != isnB)
  }

  @Test func isnsOfNeighbouringPortsAreUnrelated() {
    // The old F was SplitMix64 over secret ^ tuple: knowing the ISN of one
    // tuple and the tuple difference was a step towards the next one. Under
    // SipHash, ISNs of ports one apart differ in about half their bits.
    let interface = Slirp.guestInterface()
    var differingBits = 0
    let samples = 256
    for port in 0..<samples {
      var first = Self.endpoints
      first.remotePort = UInt16(40000 + port)
      var second = first
      second.remotePort += 1
      let a = interface.initialSequenceNumber(first, localAddress: Slirp.guest, now: 0)
      let b = interface.initialSequenceNumber(second, localAddress: Slirp.guest, now: 0)
      differingBits += (a ^ b).nonzeroBitCount
    }
    let average = Double(differingBits) / Double(samples)
    #expect(average > 14 && average < 18)
  }

  @Test func isnAdvancesWithTheFourMicrosecondClock() {
    // RFC 6528 §3: M is "a timer that is incremented every 4 microseconds".
    let interface = Slirp.guestInterface()
    let earlier = interface.initialSequenceNumber(Self.endpoints, localAddress: Slirp.guest, now: 0)
    let later = interface.initialSequenceNumber(
      Self.endpoints, localAddress: Slirp.guest, now: 1_000)
    #expect(later &- earlier == 250_000)
  }
}
