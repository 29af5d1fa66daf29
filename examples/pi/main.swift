// The seed's second demo: pi by the midpoint rule on 4/(1+x²) over [0, 1],
// split between threads that each return a partial sum. Boot it with `-smp 2`
// to see both cores work. `-- STEPS [THREADS]` changes the defaults.
import Kernel

let arguments = CommandLine.arguments
let numSteps = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let numThreads = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2

let step = 1.0 / Double(numSteps)
var sum = 0.0
let now = Instant.now

let threads = (0..<numThreads).map { tid in
  Thread.spawn { () -> Double in
    var partialSum = 0.0
    let start = (numSteps / numThreads) * tid
    let end = tid == numThreads - 1 ? numSteps : (numSteps / numThreads) * (tid + 1)
    for i in start..<end {
      let x = (Double(i) + 0.5) * step
      partialSum += 4.0 / (1.0 + x * x)
    }
    return partialSum
  }
}

for thread in threads {
  sum += thread.join()
}

let duration = now.elapsed

print("Time to calculate (local sum): \(duration.seconds)")
print("Pi: \(sum * (1.0 / Double(numSteps)))")
