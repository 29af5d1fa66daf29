// Threads on one core or several: spawn, join with results, many threads.
import Kernel

let handles = (1...4).map { n in
  Thread.spawn { () -> Int in
    var sum = 0
    for i in 1...(n * 1000) { sum &+= i }
    return sum
  }
}
for (index, handle) in handles.enumerated() {
  let n = index + 1
  print("thread \(n): \(handle.join()) expected \(n * 1000 * (n * 1000 + 1) / 2)")
}
let many = (0..<20).map { i in Thread.spawn { i * i } }
var total = 0
for handle in many { total += handle.join() }
print("20 threads: \(total)")
print("main is thread \(Thread.current.id)")
