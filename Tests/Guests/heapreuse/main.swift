// Small objects must not strand memory: 120,000 small arrays fill slabs over
// most of a 32 MiB guest's heap; once all are dropped, one 14 MiB array must
// still fit, which needs the emptied slabs back in the large pool.
import Kernel

var small: [[Int]] = []
small.reserveCapacity(120_000)
for index in 0..<120_000 { small.append([index, index &+ 1, index &+ 2]) }
var sum = 0
for array in small { sum &+= array[2] }
print("small arrays: \(small.count), slabs: \(Heap.slabCount), sum: \(sum)")
small = []
print("after dropping them: slabs \(Heap.slabCount), in use \(Heap.bytesInUse >> 10) KiB")
var large = [UInt8](repeating: 1, count: 14 << 20)
large[large.count - 1] = 2
print("large array: \(large.count) bytes, last \(large[large.count - 1])")
