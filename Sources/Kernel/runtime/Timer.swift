// Time: the TSC for the monotonic clock and the local APIC timer for periodic
// ticks, both calibrated once against the PIT while the kernel boots.

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

  /// PIT, TSC and APIC timer readings taken by `startCalibration()`.
  nonisolated(unsafe) static var calibrationStart = (
    pit: UInt16(0), tsc: UInt64(0), apic: UInt32(0)
  )

  /// Starts measuring the TSC and APIC timer rates against the PIT. The rest of
  /// boot runs inside the measuring window and `finishCalibration()` closes it:
  /// no time is spent only waiting, and a longer window shrinks the error of a
  /// PIT read (three port accesses, tens of microseconds under TCG).
  static func startCalibration() {
    PIT.start()
    LocalAPIC.startCalibration()
    calibrationStart = (PIT.read(), Arch.timestamp(), LocalAPIC.currentCount)
  }

  /// Closes the window opened by `startCalibration()` once at least 1 ms of PIT
  /// time has passed. Without a working PIT (reads never change) the TSC is
  /// assumed at 1 GHz.
  static func finishCalibration() {
    let minimumWindow: UInt64 = 1193  // PIT ticks: 1 ms
    // The PIT counts down from 0xFFFF and wraps every 55 ms. QEMU's APIC timer
    // runs at 1 GHz / 16 (its APIC bus is 1 GHz under TCG and KVM): if more than
    // ~48 ms went by, the PIT may have wrapped unseen, so measure afresh.
    if UInt64(calibrationStart.apic &- LocalAPIC.currentCount) > 3_000_000 { startCalibration() }
    var elapsed: UInt64 = 0
    var spins = 0
    while elapsed < minimumWindow && spins < 2_000_000 {
      elapsed = UInt64(calibrationStart.pit &- PIT.read())  // counts down, wraps at 0x10000
      spins += 1
    }
    let tsc = Arch.timestamp() - calibrationStart.tsc
    let apic = UInt64(calibrationStart.apic &- LocalAPIC.currentCount)
    if elapsed >= minimumWindow {
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
