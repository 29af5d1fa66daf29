// Four threads increment one counter 100,000 times each under a Mutex; the
// timer preempts them mid-section, so a broken lock loses increments.
import Kernel

let counter = Mutex(0)
let workers = (0..<4).map { _ in
  Thread.spawn {
    for _ in 0..<100_000 {
      counter.withLock { $0 += 1 }
    }
  }
}
for worker in workers { worker.join() }
print("counter: \(counter.withLock { $0 })")
