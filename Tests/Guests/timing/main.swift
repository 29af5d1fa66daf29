// Timers and waits, by mode (first argument):
//   event   ten waits on an Event that nobody signals, 100 ms timeout each,
//           between "start" and "end" lines the host times
//   join    a join with a 100 ms timeout on a thread that runs 300 ms
//   sleeps  1,000 sleeps of 1 ms
//   idle    the main thread and one other sleep 2 s: idle cores take no ticks
//   fpu     floating-point work in two threads beside a spinner on one core
//           must give the bits a single-threaded run gives
import Kernel

func elapsedMilliseconds(since start: Instant) -> Int64 {
  let (seconds, attoseconds) = start.elapsed.components
  return seconds * 1000 + attoseconds / 1_000_000_000_000_000
}

/// A floating-point workload whose result depends on every rounding step.
func work(_ seed: Double) -> Double {
  var x = seed
  var sum = 0.0
  for index in 1...1_000_000 {
    x = x * 1.000_000_1 + 1.0 / Double(index)
    sum += x.squareRoot() / (x + 1.5)
  }
  return sum
}

let mode = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ""
switch mode {
case "event":
  let event = Event()
  print("start")
  let begin = Instant.now
  var timedOut = 0
  for _ in 0..<10 where !event.wait(timeout: .milliseconds(100)) { timedOut += 1 }
  print("end")
  print("timed out \(timedOut) of 10 in \(elapsedMilliseconds(since: begin)) ms")
case "join":
  let slow = Thread.spawn { () -> Int in
    sleep(milliseconds: 300)
    return 7
  }
  let begin = Instant.now
  let early = slow.join(timeout: .milliseconds(100))
  print(
    "join after 100 ms: \(early.map { "\($0)" } ?? "still running") (\(elapsedMilliseconds(since: begin)) ms)"
  )
  print("join without limit: \(slow.join())")
case "sleeps":
  let begin = Instant.now
  for _ in 0..<1000 { sleep(milliseconds: 1) }
  print("1000 sleeps of 1 ms took \(elapsedMilliseconds(since: begin)) ms")
case "idle":
  let other = Thread.spawn { sleep(milliseconds: 2000) }
  sleep(milliseconds: 2000)
  other.join()
  print("idle for 2 s on \(Thread.coreCount) cores")
case "fpu":
  let expected = [work(1.0), work(2.0)]
  let stop = Mutex(false)
  let spinner = Thread.spawn {
    var spins = 0
    while !stop.withLock({ $0 }) { spins &+= 1 }
    return spins
  }
  let first = Thread.spawn { work(1.0) }
  let second = Thread.spawn { work(2.0) }
  let results = [first.join(), second.join()]
  stop.withLock { $0 = true }
  _ = spinner.join()
  for index in 0..<2 {
    let same = results[index].bitPattern == expected[index].bitPattern
    print("thread \(index): \(same ? "identical" : "DIFFERENT") bits")
  }
default:
  print("usage: timing event|join|sleeps|idle|fpu")
  exit(2)
}
