// Events: what an interrupt handler signals and a thread waits for. A signal
// with nobody waiting is remembered (one bit) until the next wait, so a
// wake-up that comes between a driver's check and its wait is not lost.

public final class Event {
  /// Waiting threads and the pending bit, guarded by the scheduler's lock.
  let waiters = WaitList()
  var pending = false

  public init() {}

  /// Wakes one waiter, or lets the next `wait` return at once. Safe to call from
  /// an interrupt handler.
  public func signal() {
    let interruptsWereEnabled = Scheduler.lock.acquire()
    if !Scheduler.wake(from: waiters) { pending = true }
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Waits for a signal; returns false if `timeout` passed first (nil: no limit).
  @discardableResult
  public func wait(timeout: Duration? = nil) -> Bool {
    wait(deadline: timeout.map { Timer.uptimeNanoseconds() &+ $0.nanosecondsClamped })
  }

  /// Waits for a signal until uptime `deadline` (nanoseconds) at the latest.
  func wait(deadline: UInt64?) -> Bool {
    Scheduler.startIfNeeded()
    let interruptsWereEnabled = Scheduler.lock.acquire()
    defer { Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled) }
    if pending {
      pending = false
      return true
    }
    if let deadline, deadline <= Timer.uptimeNanoseconds() { return false }
    return Scheduler.block(on: waiters, deadline: deadline)
  }
}
