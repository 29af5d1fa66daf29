// How long the other cores take to come up: the first question about threads
// starts the scheduler, which starts every core (INIT-SIPI-SIPI, one by one).
import Kernel

let start = Instant.now
let cores = Thread.coreCount
let (seconds, attoseconds) = start.elapsed.components
print("\(cores) cores online after \(seconds * 1_000_000 + attoseconds / 1_000_000_000_000) us")
