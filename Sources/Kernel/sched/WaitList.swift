// Waiting with a deadline: a thread blocked on a WaitList (an Event, a
// Condition) may also sit on the scheduler's timer list. Whichever comes
// first, a wake-up or the deadline, takes it off the other list, so a
// thread is made ready exactly once. Callers hold the scheduler's lock.

/// Threads blocked on one thing, in arrival order.
final class WaitList {
  var queue = ThreadQueue()

  var isEmpty: Bool { queue.isEmpty }
}

extension ThreadQueue {
  /// Takes `thread` out of the queue if it is there (linear: wait lists are short).
  mutating func remove(_ thread: Thread) {
    var previous: Thread? = nil
    var cursor = head
    while let current = cursor {
      if current === thread {
        if let previous { previous.next = current.next } else { head = current.next }
        if tail === current { tail = previous }
        current.next = nil
        return
      }
      previous = current
      cursor = current.next
    }
  }
}

/// Threads with a deadline (sleeping, or waiting with a timeout), linked
/// through `Thread.nextTimed`, unordered: few, scanned on each tick.
struct TimerList {
  var head: Thread? = nil

  var isEmpty: Bool { head == nil }

  mutating func insert(_ thread: Thread) {
    thread.nextTimed = head
    thread.isTimed = true
    head = thread
  }

  mutating func remove(_ thread: Thread) {
    guard thread.isTimed else { return }
    thread.isTimed = false
    var previous: Thread? = nil
    var cursor = head
    while let current = cursor {
      if current === thread {
        if let previous { previous.nextTimed = current.nextTimed } else { head = current.nextTimed }
        current.nextTimed = nil
        return
      }
      previous = current
      cursor = current.nextTimed
    }
  }

  /// Removes the threads whose deadline is at or before `now`, calling `expired`
  /// with each (without allocating: this runs in the timer interrupt).
  mutating func removeExpired(now: UInt64, _ expired: (Thread) -> Void) {
    var cursor = head
    while let current = cursor {
      cursor = current.nextTimed
      if current.wakeTime <= now {
        remove(current)
        expired(current)
      }
    }
  }

  /// The earliest deadline, if any.
  var earliest: UInt64? {
    var best: UInt64? = nil
    var cursor = head
    while let current = cursor {
      best = min(best ?? current.wakeTime, current.wakeTime)
      cursor = current.nextTimed
    }
    return best
  }
}
