// Time: the TSC for the monotonic clock and the local APIC timer for timer
// interrupts, both calibrated once against the PIT while the kernel boots.
//
// Tickless: no core takes a periodic interrupt. Each core arms its APIC timer
// in one-shot mode for the next thing it must do: the earliest deadline of a
// sleeping or timed-waiting thread, and, while it runs a thread, the end of
// its time slice (so others get a turn). An idle core with nothing due takes
// no timer interrupt at all, and `sleep(1 ms)` lasts about 1 ms.

public enum Timer {
  /// Time slices per second: a running thread is preempted after 1/hz s.
  public static let hz: UInt64 = 100
  /// A time slice in nanoseconds.
  static let slice: UInt64 = 1_000_000_000 / hz
  /// Per core: the uptime (ns) its timer is armed for, or 0 when it is not.
  nonisolated(unsafe) static var armed: UnsafeMutablePointer<UInt64>? = nil
  nonisolated(unsafe) static var tscPerSecond: UInt64 = 1_000_000_000 {
    didSet { nanosecondsPerTSC = RateConversion(from: tscPerSecond, to: 1_000_000_000) }
  }
  nonisolated(unsafe) static var apicPerSecond: UInt64 = 0 {
    didSet { apicTicksPerNanosecond = RateConversion(from: 1_000_000_000, to: apicPerSecond) }
  }
  /// The two conversions the clock and the timer make on every call, without
  /// a division (RateConversion).
  nonisolated(unsafe) static var nanosecondsPerTSC = RateConversion(
    from: 1_000_000_000, to: 1_000_000_000)
  nonisolated(unsafe) static var apicTicksPerNanosecond = RateConversion(
    from: 1_000_000_000, to: 0)
  nonisolated(unsafe) public private(set) static var ticks: UInt64 = 0
  nonisolated(unsafe) static var bootTSC: UInt64 = 0

  /// Called on every core's timer interrupt, after the scheduler started.
  nonisolated(unsafe) static var tickHook: (@convention(c) () -> Void)? = nil

  /// The timer interrupt on any core; `ticks` counts the boot core's only.
  static func tick() {
    if Arch.coreIndex() == 0 { ticks &+= 1 }
    fired()
    tickHook?()
  }

  /// Busy-waits for at least `nanoseconds` (used before threads exist, e.g.
  /// for the delays of the multiprocessor start-up protocol).
  static func spin(nanoseconds: UInt64) {
    let end = uptimeNanoseconds() &+ nanoseconds
    while uptimeNanoseconds() < end { Arch.spinHint() }
  }

  /// Sets up the per-core deadline slots (boot core, once calibrated). No
  /// timer runs until something needs it: apps without threads take none.
  static func enableDeadlines() {
    let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: InterruptCounters.maxCores)
    slots.initialize(repeating: 0, count: InterruptCounters.maxCores)
    armed = slots
  }

  /// Arms this core's timer to fire at uptime `target` (ns), or stops it (nil).
  /// Interrupts are off.
  static func arm(at target: UInt64?) {
    let core = Arch.coreIndex()
    guard let armed, core < InterruptCounters.maxCores, apicPerSecond > 0 else { return }
    guard let target else {
      if armed[core] != 0 { LocalAPIC.stopTimer() }
      armed[core] = 0
      return
    }
    let now = uptimeNanoseconds()
    let wait = target > now ? target - now : 0
    // At most UInt32.max APIC ticks (about a minute at QEMU's 62.5 MHz): a
    // later deadline re-arms on firing.
    let ticks = apicTicksPerNanosecond(wait)
    LocalAPIC.fireOnce(afterTicks: UInt32(min(max(ticks, 1), UInt64(UInt32.max))))
    armed[core] = max(target, 1)
  }

  /// Arms this core's timer for `target` unless it is armed for earlier already.
  static func arm(atMost target: UInt64) {
    let core = Arch.coreIndex()
    guard let armed, core < InterruptCounters.maxCores else { return }
    if armed[core] == 0 || target < armed[core] { arm(at: target) }
  }

  /// Forgets this core's armed deadline: its timer just fired.
  static func fired() {
    let core = Arch.coreIndex()
    if let armed, core < InterruptCounters.maxCores { armed[core] = 0 }
  }

  /// Nanoseconds since the loader started.
  public static func uptimeNanoseconds() -> UInt64 {
    nanoseconds(tsc: Arch.timestamp() &- bootTSC)
  }

  static func nanoseconds(tsc: UInt64) -> UInt64 { nanosecondsPerTSC(tsc) }
}

/// `value × to / from` as a multiplication and a shift: `(value × factor) >> 32`
/// with `factor = (to << 32) / from`, computed once (Linux's clocksource
/// mult/shift, kernel/time/clocksource.c). The clock converts on every read,
/// and each division and overflow check it would take instead is a branch:
/// under TCG, one more block of first-run code at each of its many inlined
/// uses. Truncating the factor errs by about one part in 2^31 for a 2 GHz
/// TSC, far below the PIT calibration's own error.
struct RateConversion {
  let factor: UInt64

  /// `to` must be below 2^32 (1e9, an APIC timer's rate) and `from` non-zero.
  init(from: UInt64, to: UInt64) {
    factor = (to << 32) / max(from, 1)
  }

  /// Correct while the result fits 64 bits (584 years of nanoseconds).
  @inline(__always)
  func callAsFunction(_ value: UInt64) -> UInt64 {
    let (high, low) = value.multipliedFullWidth(by: factor)
    return high &<< 32 | low &>> 32
  }
}
