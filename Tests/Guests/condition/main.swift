// Producer/consumer over a bounded buffer with a Lock and two Conditions:
// every item arrives exactly once, in order, and the buffer never overflows.
import Kernel

final class Channel {
  let lock = Lock()
  let notEmpty = Condition()
  let notFull = Condition()
  var items: [Int] = []
  let capacity = 4
  var overflowed = false

  func send(_ item: Int) {
    lock.withLock {
      while items.count == capacity { notFull.wait(lock) }
      items.append(item)
      if items.count > capacity { overflowed = true }
      notEmpty.signal()
    }
  }

  func receive() -> Int {
    lock.withLock {
      while items.isEmpty { notEmpty.wait(lock) }
      let item = items.removeFirst()
      notFull.signal()
      return item
    }
  }
}

let channel = Channel()
let count = 2000
let consumer = Thread.spawn { () -> (Int, Bool) in
  var sum = 0
  var inOrder = true
  for expected in 0..<count {
    let item = channel.receive()
    if item != expected { inOrder = false }
    sum += item
  }
  return (sum, inOrder)
}
let producer = Thread.spawn {
  for item in 0..<count { channel.send(item) }
}
producer.join()
let (sum, inOrder) = consumer.join()
print("received \(count) items, sum \(sum), in order: \(inOrder), overflow: \(channel.overflowed)")

// broadcast wakes every waiter.
let gate = Mutex(false)
let opened = Condition()
let waiters = (0..<3).map { index in
  Thread.spawn { () -> Int in
    gate.withLock(waitingOn: opened, until: { $0 }) { _ in index }
  }
}
sleep(milliseconds: 20)
gate.withLock { $0 = true }
opened.broadcast()
var woken = 0
for waiter in waiters {
  _ = waiter.join()
  woken += 1
}
print("broadcast woke \(woken)")
