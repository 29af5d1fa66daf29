// Two interfaces on a simulated point-to-point link with a bandwidth, a
// propagation delay and a bounded transmit queue at each end, on a virtual
// microsecond clock (the stacks see it in milliseconds, as the kernel's is).
// A seeded generator drops, duplicates and delays (reorders) a share of the
// frames that leave the queue. Deterministic for a given seed.
//
// A frame put on the link at time t waits for the frames ahead of it to be
// serialized (`bytesPerSecond`), then arrives half the round-trip time later;
// a frame that finds `queueFrames` ahead of it is dropped (tail drop), as a
// router's full buffer would.

@testable import NetStack

final class LossyLink {
  struct Parameters {
    var roundTripMicroseconds: UInt64 = 10_000
    var bytesPerSecond: UInt64 = 12_500_000  // 100 Mbit/s
    var queueFrames = 128
    /// Fault rates per thousand frames.
    var dropPerMille = 0
    var duplicatePerMille = 0
    var reorderPerMille = 0
    /// A reordered frame arrives up to this much later than it would have.
    var reorderDelayMicroseconds: UInt64 = 1_000
  }

  let a: NetworkInterface
  let b: NetworkInterface
  let parameters: Parameters
  /// The virtual clock, in microseconds.
  private(set) var nowMicroseconds: UInt64 = 0
  /// The clock the stacks see.
  var now: UInt64 { nowMicroseconds / 1000 }
  private(set) var dropped = 0
  private(set) var queueDrops = 0
  private(set) var delivered = 0

  /// Drops the frames it returns true for, before the random faults: a
  /// test's chosen losses (`toB`: from A to B).
  var shouldDrop: ((_ frame: [UInt8], _ toB: Bool) -> Bool)?

  private var random: TestRandom
  /// When each direction's transmitter is free again (toB, toA).
  private var busyUntil: (toB: UInt64, toA: UInt64) = (0, 0)
  private var events = FrameHeap()
  private var order = 0

  init(seed: UInt64, _ parameters: Parameters) {
    self.parameters = parameters
    random = TestRandom(seed: seed)
    a = NetworkInterface(
      mac: SimulatedLink.macA,
      configuration: NetworkConfiguration(address: SimulatedLink.addressA, prefixLength: 24),
      seed: seed &+ 1)
    b = NetworkInterface(
      mac: SimulatedLink.macB,
      configuration: NetworkConfiguration(address: SimulatedLink.addressB, prefixLength: 24),
      seed: seed &+ 2)
  }

  private func collect() {
    while let frame = a.dequeueFrame() { put(frame, toB: true) }
    while let frame = b.dequeueFrame() { put(frame, toB: false) }
  }

  private func put(_ frame: [UInt8], toB: Bool) {
    let serialization = max(1, UInt64(frame.count + 24) * 1_000_000 / parameters.bytesPerSecond)
    var busy = toB ? busyUntil.toB : busyUntil.toA
    let start = max(busy, nowMicroseconds)
    if (start - nowMicroseconds) / serialization >= UInt64(parameters.queueFrames) {
      queueDrops += 1
      return
    }
    busy = start + serialization
    if toB { busyUntil.toB = busy } else { busyUntil.toA = busy }
    if shouldDrop?(frame, toB) == true || random.chance(parameters.dropPerMille) {
      dropped += 1
      return
    }
    let copies = random.chance(parameters.duplicatePerMille) ? 2 : 1
    for _ in 0..<copies {
      var at = busy + parameters.roundTripMicroseconds / 2
      if random.chance(parameters.reorderPerMille) {
        at += 1 + random.next() % parameters.reorderDelayMicroseconds
      }
      order += 1
      events.push(FrameHeap.Item(at: at, order: order, toB: toB, frame: frame))
    }
  }

  /// One step: deliver due frames, run due timers, collect output, then
  /// advance the clock to the next event. False when nothing is left to do.
  @discardableResult
  func step() -> Bool {
    collect()
    var deliveredAny = false
    while let first = events.first, first.at <= nowMicroseconds {
      let item = events.pop()
      delivered += 1
      deliveredAny = true
      (item.toB ? b : a).receive(item.frame, now: now)
    }
    for interface in [a, b] {
      if let next = interface.nextPollTime(now: now), next <= now { interface.poll(now: now) }
    }
    collect()
    var next = events.first?.at
    for interface in [a, b] {
      if let timer = interface.nextPollTime(now: now) {
        let at = max(timer, now + 1) * 1000
        next = min(next ?? at, at)
      }
    }
    guard let next else { return deliveredAny }
    nowMicroseconds = max(next, nowMicroseconds + 1)
    return true
  }

  /// Steps, calling `app` before each, until `done` or `limit` ms of
  /// simulated time pass. Returns whether `done` became true.
  @discardableResult
  func run(limit: UInt64, app: () -> Void = {}, until done: () -> Bool) -> Bool {
    let end = nowMicroseconds + limit * 1000
    while nowMicroseconds < end {
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
  func connect(port: UInt16 = 80) throws -> (server: TCPHandle, client: TCPHandle) {
    let listener = try a.tcpListen(port: port, backlog: 8).get()
    let client = try b.tcpConnect(to: SimulatedLink.addressA, port: port, now: now).get()
    var server: TCPHandle?
    run(
      limit: 60_000,
      app: {
        if server == nil, case .success(let accepted) = a.tcpAccept(listener) { server = accepted }
      }
    ) { server != nil && b.tcpState(client) == .established }
    guard let server else { throw NetError.timedOut }
    return (server, client)
  }
}

/// Frames in flight, earliest arrival first (ties in the order they were put).
private struct FrameHeap {
  struct Item {
    var at: UInt64
    var order: Int
    var toB: Bool
    var frame: [UInt8]
  }

  private var items: [Item] = []

  var first: Item? { items.first }

  private func before(_ i: Int, _ j: Int) -> Bool {
    (items[i].at, items[i].order) < (items[j].at, items[j].order)
  }

  mutating func push(_ item: Item) {
    items.append(item)
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard before(child, parent) else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Item {
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var parent = 0
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var smallest = parent
      if left < items.count && before(left, smallest) { smallest = left }
      if right < items.count && before(right, smallest) { smallest = right }
      guard smallest != parent else { break }
      items.swapAt(parent, smallest)
      parent = smallest
    }
    return top
  }
}
