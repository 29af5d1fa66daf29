// The wall clock: UTC since 1970 from the CMOS real-time clock, advanced by the
// monotonic clock (the calibrated TSC, Clock.swift).
//
// The RTC is read on the first call, not during boot: under TCG its dozens of
// port accesses (about 13 µs each) would add to every app's boot time. The
// reading is turned into the wall time at uptime 0, so later calls cost one TSC
// read. The RTC counts whole seconds and we do not wait (up to a second) for
// its next tick: the reading is taken as the middle of its second, so the wall
// clock is within half a second of the RTC's time source (the host's clock
// under QEMU). It is never adjusted after that reading: it runs at the TSC's
// rate, like the monotonic clock, and never goes backwards.
import Synchronization

public enum WallClock {
  /// Nanoseconds since 1970-01-01 00:00:00 UTC at uptime 0; valid once
  /// `state` is `ready`.
  nonisolated(unsafe) static var bootEpochNanoseconds: Int64 = 0
  static let unread = 0, reading = 1, ready = 2
  static let state = Atomic<Int>(0)

  /// The current time in seconds and nanoseconds (0..<1e9) since 1970-01-01
  /// 00:00:00 UTC (Unix time, no leap seconds), like `clock_gettime(CLOCK_REALTIME)`.
  /// On a machine without an RTC, the time since boot.
  public static func now() -> (seconds: Int64, nanoseconds: Int32) {
    let nanoseconds = epochAtBoot() &+ Int64(Timer.uptimeNanoseconds())
    let seconds = nanoseconds / 1_000_000_000
    let rest = nanoseconds % 1_000_000_000
    return rest < 0
      ? (seconds - 1, Int32(rest + 1_000_000_000)) : (seconds, Int32(rest))
  }

  /// Reads the RTC once, on whichever core asks first; the others wait for it.
  static func epochAtBoot() -> Int64 {
    if state.load(ordering: .acquiring) == ready { return bootEpochNanoseconds }
    if state.compareExchange(expected: unread, desired: reading, ordering: .acquiring).exchanged {
      let interruptsWereEnabled = Arch.disableInterrupts()  // no thread switch mid-reading
      let time = Arch.readRealTimeClock()
      let uptime = Int64(Timer.uptimeNanoseconds())
      Arch.restoreInterrupts(interruptsWereEnabled)
      if let time {
        let seconds = secondsSince1970(
          year: time.year, month: time.month, day: time.day, hour: time.hour,
          minute: time.minute, second: time.second)
        bootEpochNanoseconds = seconds * 1_000_000_000 + 500_000_000 - uptime
      } else {
        bootEpochNanoseconds = 0  // no RTC: the wall clock starts at 1970 on boot
      }
      state.store(ready, ordering: .releasing)
    } else {
      while state.load(ordering: .acquiring) != ready {
        if Scheduler.started { Scheduler.yield() } else { Arch.spinHint() }
      }
    }
    return bootEpochNanoseconds
  }

  /// Seconds from 1970-01-01 00:00:00 to the given proleptic Gregorian date and
  /// time (days from civil, after Howard Hinnant's chrono-compatible algorithms).
  static func secondsSince1970(
    year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
  ) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400  // 0...399
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1  // from March 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
  }
}
