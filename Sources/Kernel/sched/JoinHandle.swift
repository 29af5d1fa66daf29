// The result of `Thread.spawn`: wait for the thread and take its return value.

public final class JoinHandle<T> {
  /// The spawned thread.
  public let thread: Thread
  let slot: ResultSlot<T>

  init(thread: Thread, slot: ResultSlot<T>) {
    self.thread = thread
    self.slot = slot
  }

  /// Waits until the thread's body returned, then gives its result. Joining
  /// again gives the same result.
  public func join() -> T {
    Scheduler.join(thread)
    return slot.value!
  }

  /// Waits at most `timeout` for the thread; its result, or nil if it is
  /// still running then.
  public func join(timeout: Duration) -> T? {
    guard Scheduler.join(thread, deadline: timeout.deadlineFromNow) else { return nil }
    return slot.value
  }

  /// Whether the thread finished (join would not wait).
  public var isFinished: Bool { Scheduler.isFinished(thread) }
}
