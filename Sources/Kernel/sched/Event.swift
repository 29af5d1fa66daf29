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
    wait(deadline: timeout.flatMap { $0.deadlineFromNow })
  }

  /// Waits for a signal until uptime `deadline` (nanoseconds) at the latest.
  ///
  /// Before the scheduler runs, the caller is the only thread: it waits by
  /// halting its core until an interrupt (the signal's, or the timer's at
  /// `deadline`), then checks again. A network brought up by the app's first
  /// socket gets its address this way without starting the scheduler for it
  /// (Network.swift). Like every wait, it is called with interrupts enabled,
  /// and returns so.
  func wait(deadline: UInt64?) -> Bool {
    while true {
      let interruptsWereEnabled = Scheduler.lock.acquire()
      if pending {
        pending = false
        Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
        return true
      }
      if let deadline, deadline <= Timer.uptimeNanoseconds() {
        Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
        return false
      }
      if Scheduler.started {
        let signalled = Scheduler.block(on: waiters, deadline: deadline)
        Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
        return signalled
      }
      Timer.arm(at: deadline)
      // Interrupts stay off until the halt, which enables them atomically: a
      // signal after the check above wakes it instead of being missed.
      Scheduler.lock.release(interruptsWereEnabled: false)
      Arch.idle()
    }
  }
}
