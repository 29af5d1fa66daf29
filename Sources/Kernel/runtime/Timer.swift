// Time: the TSC for the monotonic clock and the local APIC timer for periodic
// ticks, both calibrated once against the PIT at boot.

public enum Timer {
  /// Ticks per second of the periodic timer.
  public static let hz: UInt64 = 100
  nonisolated(unsafe) static var tscPerSecond: UInt64 = 1_000_000_000
  nonisolated(unsafe) static var apicPerSecond: UInt64 = 0
  nonisolated(unsafe) public private(set) static var ticks: UInt64 = 0
  nonisolated(unsafe) static var bootTSC: UInt64 = 0

  /// Called on every core's timer interrupt, after the scheduler started.
  nonisolated(unsafe) static var tickHook: (@convention(c) () -> Void)? = nil

  /// The timer interrupt on any core; `ticks` counts the boot core's only.
  static func tick() {
    if Arch.coreIndex() == 0 { ticks &+= 1 }
    tickHook?()
  }

  /// Busy-waits for at least `nanoseconds` (used before threads exist, e.g.
  /// for the delays of the multiprocessor start-up protocol).
  static func spin(nanoseconds: UInt64) {
    let end = uptimeNanoseconds() &+ nanoseconds
    while uptimeNanoseconds() < end { Arch.spinHint() }
  }

  /// Measures TSC and APIC timer rates over ~0.25 ms of PIT time (299 PIT ticks, ±0.3%).
  /// Without a working PIT (reads never change) the TSC is assumed at 1 GHz.
  static func calibrate() {
    let window: UInt64 = 299
    PIT.start()
    LocalAPIC.startCalibration()
    let startPIT = PIT.read()
    let startTSC = Arch.timestamp()
    let startAPIC = LocalAPIC.currentCount
    var elapsed: UInt64 = 0
    var spins = 0
    while elapsed < window {
      elapsed = UInt64(startPIT &- PIT.read())  // counts down, wraps at 0x10000
      spins += 1
      if spins > 2_000_000 { break }
    }
    let tsc = Arch.timestamp() - startTSC
    let apic = UInt64(startAPIC &- LocalAPIC.currentCount)
    if elapsed >= window {
      tscPerSecond = max(tsc * PIT.frequency / elapsed, 1)
      apicPerSecond = apic * PIT.frequency / elapsed
    }
  }

  static func startTicking() {
    let period = apicPerSecond / hz
    if period > 0 { LocalAPIC.startPeriodic(ticks: UInt32(min(period, UInt64(UInt32.max)))) }
  }

  /// Nanoseconds since the loader started.
  public static func uptimeNanoseconds() -> UInt64 {
    nanoseconds(tsc: Arch.timestamp() &- bootTSC)
  }

  static func nanoseconds(tsc: UInt64) -> UInt64 {
    // Split to avoid overflow of tsc * 1e9 for long uptimes.
    let seconds = tsc / tscPerSecond
    let rest = tsc % tscPerSecond
    return seconds * 1_000_000_000 + rest * 1_000_000_000 / tscPerSecond
  }
}
