// As many busy threads as cores: each must get a core of its own. Every
// thread checks in, spins until all have (so all are runnable at once), then
// spins 100 ms more and reports the core it ends on. A scheduler that leaves
// a core idle while a thread waits puts two threads on one core: fewer
// distinct cores than threads.
import Kernel
import Synchronization

let arrived = Atomic<Int>(0)
let count = Thread.coreCount
let workers = (0..<count).map { _ in
  Thread.spawn { () -> Int in
    arrived.add(1, ordering: .relaxed)
    let start = Instant.now
    while arrived.load(ordering: .relaxed) < count && start.elapsed < .seconds(60) {}
    let settled = Instant.now
    while settled.elapsed < .milliseconds(100) {}
    return Thread.currentCore
  }
}
var cores = [Bool](repeating: false, count: 256)
for worker in workers { cores[worker.join()] = true }
let distinct = cores.filter { $0 }.count
print("threads: \(count), distinct cores: \(distinct)")
