// sleep(for:) against the monotonic clock; also sleeping while another thread runs.
import Kernel

let start = Instant.now
sleep(for: .milliseconds(50))
let slept = start.elapsed
print("slept \(slept.nanoseconds / 1_000_000) ms")

let sleeper = Thread.spawn { () -> Int64 in
  let begin = Instant.now
  sleep(milliseconds: 30)
  return begin.elapsed.nanoseconds / 1_000_000
}
var spins = 0
while !sleeper.isFinished {
  spins += 1
  Thread.yield()
}
print("thread slept \(sleeper.join()) ms")
let later = Instant.now
print("monotonic: \(later >= start + slept)")
