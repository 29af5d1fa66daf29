// Every core must run with the control registers core 0 has: caches on, WP,
// NE (a secondary core that kept CR0's reset value would run uncached). Main
// reports core 0's, then busy threads report each other core's.
import Kernel

func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

let main = Processor.controlRegisters()
let seen = Mutex([(cr0: UInt64, cr4: UInt64)?](repeating: nil, count: Thread.coreCount))
seen.withLock { $0[Thread.currentCore] = main }
let workers = (0..<Thread.coreCount).map { _ in
  Thread.spawn {
    let start = Instant.now
    while start.elapsed < .seconds(5) {
      let core = Thread.currentCore
      let registers = Processor.controlRegisters()
      if Thread.currentCore == core { seen.withLock { $0[core] = registers } }
      if seen.withLock({ $0.allSatisfy { $0 != nil } }) { break }
      Thread.yield()
    }
  }
}
for worker in workers { worker.join() }
print("main core \(Thread.currentCore)")
for (core, registers) in seen.withLock({ $0 }).enumerated() {
  if let registers {
    print("core \(core) cr0 \(hex(registers.cr0)) cr4 \(hex(registers.cr4))")
  } else {
    print("core \(core) never ran a thread")
  }
}
