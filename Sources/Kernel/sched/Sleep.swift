// Sleeping: the thread leaves the run queue until a timer tick finds its
// deadline passed, so a sleep lasts at least as asked and at most about one
// tick (10 ms) longer, plus waiting for a core.

/// Blocks the calling thread for at least `duration` (nothing for ≤ 0).
public func sleep(for duration: Duration) {
  let (seconds, attoseconds) = duration.components
  guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return }
  // Saturating: a sleep past UInt64's nanoseconds lasts forever.
  Scheduler.sleep(until: duration.deadlineFromNow ?? UInt64.max)
}

/// Blocks the calling thread for at least `milliseconds` (nothing for ≤ 0).
public func sleep(milliseconds: Int) {
  guard milliseconds > 0 else { return }
  // In integers: a Duration would take 128-bit arithmetic to get here.
  let (nanoseconds, tooLong) = UInt64(milliseconds).multipliedReportingOverflow(by: 1_000_000)
  let (deadline, beyond) = Timer.uptimeNanoseconds().addingReportingOverflow(nanoseconds)
  Scheduler.sleep(until: tooLong || beyond ? UInt64.max : deadline)
}
