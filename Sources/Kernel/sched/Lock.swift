// A sleeping mutual-exclusion lock: uncontended lock and unlock are one atomic
// compare-and-swap; a contended locker blocks in the scheduler and the unlocker
// hands the lock straight to the first waiter (so waiters are served in order
// and cannot be overtaken forever).
import Synchronization

public final class Lock {
  static let free: UInt32 = 0
  static let held: UInt32 = 1
  static let heldWithWaiters: UInt32 = 2

  let state = Atomic<UInt32>(0)
  /// Blocked lockers, guarded by the scheduler's lock.
  var waiters = ThreadQueue()

  public init() {}

  public func lock() {
    if state.compareExchange(expected: Lock.free, desired: Lock.held, ordering: .acquiring)
      .exchanged
    {
      return
    }
    lockContended()
  }

  public func unlock() {
    if state.compareExchange(expected: Lock.held, desired: Lock.free, ordering: .releasing)
      .exchanged
    {
      return
    }
    let interruptsWereEnabled = Scheduler.lock.acquire()
    unlockHoldingScheduler()
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Runs `body` with the lock held.
  public func withLock<R>(_ body: () -> R) -> R {
    lock()
    defer { unlock() }
    return body()
  }

  private func lockContended() {
    Scheduler.startIfNeeded()
    let interruptsWereEnabled = Scheduler.lock.acquire()
    while true {
      let seen = state.load(ordering: .relaxed)
      if seen == Lock.free {
        if state.compareExchange(expected: Lock.free, desired: Lock.held, ordering: .acquiring)
          .exchanged
        {
          break
        }
        continue
      }
      if seen == Lock.held
        && !state.compareExchange(
          expected: Lock.held, desired: Lock.heldWithWaiters, ordering: .acquiring
        ).exchanged
      {
        continue
      }
      // heldWithWaiters: the unlocker needs the scheduler's lock, so it sees us queued.
      let core = Scheduler.currentCore
      core.current.state = .blocked
      waiters.enqueue(core.current)
      Scheduler.blockCurrent(on: core)
      break  // unlock handed the lock to us
    }
    Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Unlocks; the caller holds the scheduler's lock (Condition.wait does).
  func unlockHoldingScheduler() {
    if state.compareExchange(expected: Lock.held, desired: Lock.free, ordering: .releasing)
      .exchanged
    {
      return
    }
    if let next = waiters.dequeue() {
      state.store(waiters.isEmpty ? Lock.held : Lock.heldWithWaiters, ordering: .releasing)
      Scheduler.makeReady(next)
    } else {
      state.store(Lock.free, ordering: .releasing)
    }
  }
}

/// A value only reachable with its lock held.
public final class Mutex<Value> {
  /// The lock; also what a Condition waits with.
  public let lock = Lock()
  var value: Value

  public init(_ value: Value) { self.value = value }

  /// Runs `body` on the value with the lock held.
  public func withLock<R>(_ body: (inout Value) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }

  /// Waits on `condition` until `ready(value)` holds, then runs `body` on the
  /// value, all with the lock held (released while waiting). Whoever makes
  /// `ready` true signals or broadcasts `condition` after changing the value.
  /// (Waiting inside `withLock`'s body cannot work: the inout value may not
  /// change under it.)
  public func withLock<R>(
    waitingOn condition: Condition, until ready: (Value) -> Bool, _ body: (inout Value) -> R
  ) -> R {
    lock.lock()
    defer { lock.unlock() }
    while !ready(value) { condition.wait(lock) }
    return body(&value)
  }
}
