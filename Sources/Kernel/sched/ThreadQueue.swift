// A FIFO of threads linked through `Thread.next`: the run queue, and the wait
// queues of locks, conditions, joins and sleepers. A thread is in at most one
// queue at a time. Callers hold the scheduler's lock.

struct ThreadQueue {
  var head: Thread? = nil
  var tail: Thread? = nil

  var isEmpty: Bool { head == nil }

  mutating func enqueue(_ thread: Thread) {
    thread.next = nil
    if let tail { tail.next = thread } else { head = thread }
    tail = thread
  }

  mutating func dequeue() -> Thread? {
    guard let first = head else { return nil }
    head = first.next
    first.next = nil
    if head == nil { tail = nil }
    return first
  }
}
