// Two interfaces on one simulated Ethernet segment whose clock the test
// drives: frames take `latency` ms, and a seeded generator drops,
// duplicates and delays (reorders) a share of them (smoltcp's
// FaultInjector). Deterministic for a given seed. With `offload`, both
// interfaces leave TCP checksums to the "NIC", which completes them on the way
// out or hands them on partial and flagged (PartialChecksum.swift).

@testable import NetStack

/// SplitMix64 for the tests' own choices.
struct TestRandom {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
  /// True with probability `perMille`/1000.
  mutating func chance(_ perMille: Int) -> Bool { Int(next() % 1000) < perMille }
  mutating func bytes(_ count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      var index = 0
      while index < count {
        var word = next()
        for _ in 0..<min(8, count - index) {
          buffer[index] = UInt8(truncatingIfNeeded: word)
          word >>= 8
          index += 1
        }
      }
      initialized = count
    }
  }
}

final class SimulatedLink {
  /// What the simulated NICs do about TCP checksums.
  enum ChecksumOffload {
    /// Nothing: the stacks compute and verify every checksum.
    case none
    /// The sending NIC completes partial checksums (virtio's NEEDS_CSUM on
    /// transmit); the receiver verifies them.
    case completeOnTransmit
    /// Partial checksums cross the wire and the receiving NIC says they are
    /// fine (a host stack's CHECKSUM_PARTIAL reaching a guest as NEEDS_CSUM or
    /// DATA_VALID): the receiver must not verify them.
    case verifiedOnReceive
  }

  static let macA = MACAddress(0x02, 0, 0, 0, 0, 0x0a)
  static let macB = MACAddress(0x02, 0, 0, 0, 0, 0x0b)
  static let addressA = IPv4Address(192, 168, 7, 1)
  static let addressB = IPv4Address(192, 168, 7, 2)

  let a: NetworkInterface
  let b: NetworkInterface
  private(set) var now: UInt64 = 0
  var random: TestRandom
  /// Fault rates per thousand frames.
  var dropPerMille: Int
  var duplicatePerMille: Int
  var reorderPerMille: Int
  let latency: UInt64 = 1
  private(set) var delivered = 0
  private(set) var dropped = 0
  /// Partial checksums the simulated NICs completed.
  private(set) var completed = 0
  let offload: ChecksumOffload

  private var inFlight: [(frame: [UInt8], toB: Bool, at: UInt64, order: Int)] = []
  private var order = 0

  init(
    seed: UInt64, drop: Int = 0, duplicate: Int = 0, reorder: Int = 0,
    offload: ChecksumOffload = .none
  ) {
    random = TestRandom(seed: seed)
    self.offload = offload
    dropPerMille = drop
    duplicatePerMille = duplicate
    reorderPerMille = reorder
    a = NetworkInterface(
      mac: SimulatedLink.macA,
      configuration: NetworkConfiguration(address: SimulatedLink.addressA, prefixLength: 24),
      seed: seed &+ 1)
    b = NetworkInterface(
      mac: SimulatedLink.macB,
      configuration: NetworkConfiguration(address: SimulatedLink.addressB, prefixLength: 24),
      seed: seed &+ 2)
    a.offloadsTCPChecksum = offload != .none
    b.offloadsTCPChecksum = offload != .none
  }

  /// Takes what both interfaces queued and puts it on the wire.
  func collect() {
    while let frame = a.dequeueFrame() { put(frame, toB: true) }
    while let frame = b.dequeueFrame() { put(frame, toB: false) }
  }

  private func put(_ frame: [UInt8], toB: Bool) {
    var frame = frame
    if offload == .completeOnTransmit {
      frame.withUnsafeMutableBytes { bytes in
        guard let (start, offset) = PartialChecksum.location(inFrame: UnsafeRawBufferPointer(bytes))
        else { return }
        PartialChecksum.complete(bytes, start: start, offset: offset)
        completed += 1
      }
    }
    if random.chance(dropPerMille) {
      dropped += 1
      return
    }
    let copies = random.chance(duplicatePerMille) ? 2 : 1
    for _ in 0..<copies {
      var at = now + latency
      if random.chance(reorderPerMille) { at += 1 + random.next() % 5 }
      order += 1
      inFlight.append((frame, toB, at, order))
    }
  }

  /// One step: deliver due frames, run due timers, collect output, then
  /// advance the clock to the next event. False when nothing is left to do.
  @discardableResult
  func step() -> Bool {
    collect()
    let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
    inFlight.removeAll { $0.at <= now }
    for item in due {
      delivered += 1
      (item.toB ? b : a).receive(
        item.frame, now: now, checksumVerified: offload == .verifiedOnReceive)
    }
    for interface in [a, b] {
      if let next = interface.nextPollTime(now: now), next <= now { interface.poll(now: now) }
    }
    collect()
    var next: UInt64? = inFlight.map { $0.at }.min()
    for interface in [a, b] {
      if let timer = interface.nextPollTime(now: now) { next = min(next ?? timer, timer) }
    }
    guard let next else { return !due.isEmpty }
    now = max(next, now + 1)
    return true
  }

  /// Steps, calling `app` before each, until `done` or `limit` ms pass.
  /// Returns whether `done` became true.
  @discardableResult
  func run(limit: UInt64 = 600_000, app: () -> Void = {}, until done: () -> Bool) -> Bool {
    let end = now + limit
    while now < end {
      app()
      if done() { return true }
      if !step() {
        app()
        return done()
      }
    }
    return done()
  }

  /// Connects B to a listener on A at `port`; returns (server side on A, client side on B).
  func connect(port: UInt16 = 80) throws -> (
    server: TCPHandle, client: TCPHandle, listener: TCPHandle
  ) {
    let listener = try a.tcpListen(port: port, backlog: 8).get()
    let client = try b.tcpConnect(to: SimulatedLink.addressA, port: port, now: now).get()
    var server: TCPHandle?
    run(app: {
      if server == nil, case .success(let accepted) = a.tcpAccept(listener) { server = accepted }
    }) { server != nil && b.tcpState(client) == .established }
    guard let server else { throw NetError.timedOut }
    return (server, client, listener)
  }
}
