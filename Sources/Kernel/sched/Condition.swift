// Condition variables: wait releases the lock and blocks in one step (both
// under the scheduler's lock), so a signal between the two cannot be lost.
// Wake-ups may be spurious: wait in a loop that re-checks the condition.

public final class Condition {
  /// Waiting threads, guarded by the scheduler's lock.
  var waiters = ThreadQueue()

  public init() {}

  /// Releases `lock` (which the caller holds), waits for signal or broadcast,
  /// then takes `lock` again before returning.
  public func wait(_ lock: Lock) {
    Scheduler.startIfNeeded()
    let interruptsWereEnabled = Scheduler.lock.acquire()
    let core = Scheduler.currentCore
    core.current.state = .blocked
    waiters.enqueue(core.current)
    lock.unlockHoldingScheduler()
    Scheduler.blockCurrent(on: core)
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
    lock.lock()
  }

  /// Wakes one waiting thread, if any.
  public func signal() {
    let interruptsWereEnabled = Scheduler.lock.acquire()
    if let thread = waiters.dequeue() { Scheduler.makeReady(thread) }
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Wakes every waiting thread.
  public func broadcast() {
    let interruptsWereEnabled = Scheduler.lock.acquire()
    while let thread = waiters.dequeue() { Scheduler.makeReady(thread) }
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }
}
