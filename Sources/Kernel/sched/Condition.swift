// Condition variables: wait releases the lock and blocks in one step (both
// under the scheduler's lock), so a signal between the two cannot be lost.
// Wake-ups may be spurious: wait in a loop that re-checks the condition.

public final class Condition {
  /// Waiting threads, guarded by the scheduler's lock.
  let waiters = WaitList()

  public init() {}

  /// Releases `lock` (which the caller holds), waits for signal or broadcast,
  /// then takes `lock` again before returning.
  public func wait(_ lock: Lock) {
    _ = wait(lock, deadline: nil)
  }

  /// Like `wait(_:)`, but gives up after `timeout`; returns false if it did.
  public func wait(_ lock: Lock, timeout: Duration) -> Bool {
    wait(lock, deadline: timeout.deadlineFromNow)
  }

  /// Like `wait(_:)`, until uptime `deadline` (nanoseconds) at the latest.
  func wait(_ lock: Lock, deadline: UInt64?) -> Bool {
    Scheduler.startIfNeeded()
    let interruptsWereEnabled = Scheduler.lock.acquire()
    lock.unlockHoldingScheduler()
    let woken = Scheduler.block(on: waiters, deadline: deadline)
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
    lock.lock()
    return woken
  }

  /// Wakes one waiting thread, if any.
  public func signal() {
    let interruptsWereEnabled = Scheduler.lock.acquire()
    Scheduler.wake(from: waiters)
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Wakes every waiting thread.
  public func broadcast() {
    let interruptsWereEnabled = Scheduler.lock.acquire()
    while Scheduler.wake(from: waiters) {}
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }
}

extension Duration {
  /// Whole nanoseconds, 0 for negative durations, saturating at UInt64.max.
  var nanosecondsClamped: UInt64 {
    let (seconds, attoseconds) = components
    if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
    let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return UInt64.max }
    let (total, beyond) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
    return beyond ? UInt64.max : total
  }

  /// Uptime (nanoseconds) this long from now; nil when that lies beyond
  /// UInt64's nanoseconds (some 584 years): a wait that long is forever, and
  /// the arithmetic saturates instead of wrapping into the past.
  var deadlineFromNow: UInt64? {
    let (deadline, beyond) = Timer.uptimeNanoseconds().addingReportingOverflow(nanosecondsClamped)
    return beyond || deadline == UInt64.max ? nil : deadline
  }
}
