// Two busy threads on a two-core machine: both cores must run thread code.
// Each thread spins for 300 ms of wall time and records the cores it ran on.
import Kernel

let seen = Mutex([Bool](repeating: false, count: 256))  // xAPIC: at most 255 cores
let workers = (0..<2).map { _ in
  Thread.spawn {
    let start = Instant.now
    var spins = 0
    while start.elapsed < .milliseconds(300) {
      let core = Thread.currentCore
      seen.withLock { $0[core] = true }
      spins += 1
    }
    return spins
  }
}
for worker in workers { _ = worker.join() }
let cores = seen.withLock { flags in (0..<256).filter { flags[$0] } }
print("cores online: \(Thread.coreCount)")
print("threads ran on cores: \(cores.map { "\($0)" }.joined(separator: " "))")
