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

/// Threads with a deadline (sleeping, or waiting with a timeout) in a binary
/// min-heap on `wakeTime`; each thread knows its slot (`timerSlot`). Insert and
/// remove take O(log n), the earliest deadline O(1), and taking the k expired
/// ones O(k log n). Only `insert` allocates (to grow), and it runs in a
/// thread, never in the timer interrupt.
struct TimerList {
  /// Strong references to the threads, `count` of `capacity` slots initialized.
  var slots: UnsafeMutablePointer<Thread>? = nil
  var count = 0
  var capacity = 0

  var isEmpty: Bool { count == 0 }

  /// The earliest deadline, if any.
  var earliest: UInt64? { count == 0 ? nil : slots![0].wakeTime }

  /// Adds `thread` (not in the list) with its `wakeTime` set.
  mutating func insert(_ thread: Thread) {
    guard thread.timerSlot < 0 else { return }
    if count == capacity { grow() }
    (slots! + count).initialize(to: thread)
    thread.timerSlot = count
    count += 1
    siftUp(count - 1)
  }

  /// Takes `thread` out, if it is in the list.
  mutating func remove(_ thread: Thread) {
    let slot = thread.timerSlot
    guard slot >= 0, slot < count, slots![slot] === thread else { return }
    thread.timerSlot = -1
    count -= 1
    let last = (slots! + count).move()
    guard slot < count else { return }  // it was the last slot
    slots![slot] = last
    last.timerSlot = slot
    siftDown(slot)
    siftUp(last.timerSlot)
  }

  /// Removes the threads whose deadline is at or before `now`, earliest first,
  /// calling `expired` with each (without allocating: this runs in the timer
  /// interrupt).
  mutating func removeExpired(now: UInt64, _ expired: (Thread) -> Void) {
    while count > 0 && slots![0].wakeTime <= now {
      let thread = slots![0]
      remove(thread)
      expired(thread)
    }
  }

  private mutating func grow() {
    let newCapacity = max(16, capacity * 2)
    let newSlots = UnsafeMutablePointer<Thread>.allocate(capacity: newCapacity)
    if let slots {
      newSlots.moveInitialize(from: slots, count: count)
      slots.deallocate()
    }
    slots = newSlots
    capacity = newCapacity
  }

  private func swapSlots(_ a: Int, _ b: Int) {
    let first = slots![a]
    slots![a] = slots![b]
    slots![b] = first
    slots![a].timerSlot = a
    slots![b].timerSlot = b
  }

  private func siftUp(_ start: Int) {
    var child = start
    while child > 0 {
      let parent = (child - 1) / 2
      guard slots![child].wakeTime < slots![parent].wakeTime else { return }
      swapSlots(child, parent)
      child = parent
    }
  }

  private func siftDown(_ start: Int) {
    var parent = start
    while true {
      let left = 2 * parent + 1
      guard left < count else { return }
      let right = left + 1
      var smallest = left
      if right < count && slots![right].wakeTime < slots![left].wakeTime { smallest = right }
      guard slots![smallest].wakeTime < slots![parent].wakeTime else { return }
      swapSlots(parent, smallest)
      parent = smallest
    }
  }
}
