// Allocates and frees well over 100 MB in varied sizes, then checks that the
// memory came back: the heap's in-use count returns to where it started and
// one large block of half the heap can still be had.
import Kernel

let before = Heap.bytesInUse
var total = 0
var seed: UInt64 = 0x1234_5678
func nextRandom() -> Int {
  seed = seed &* 6364136223846793005 &+ 1442695040888963407
  return Int(truncatingIfNeeded: seed >> 33)
}

for round in 0..<40 {
  var blocks: [[UInt8]] = []
  var roundBytes = 0
  while roundBytes < 3_000_000 {
    let size: Int
    switch nextRandom() % 4 {
    case 0: size = 16 + nextRandom() % 100  // small objects
    case 1: size = 500 + nextRandom() % 3000  // slab classes
    case 2: size = 8192 + nextRandom() % 60000  // large list
    default: size = 200_000 + nextRandom() % 300_000  // big buffers
    }
    var block = [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: size)
    block[size - 1] = 7
    blocks.append(block)
    roundBytes += size
  }
  // Check contents survived neighbours' allocations, then free in a scrambled order.
  for block in blocks
  where block[0] != UInt8(truncatingIfNeeded: round) || block[block.count - 1] != 7 {
    panic("heap stress: a block was overwritten")
  }
  while !blocks.isEmpty {
    blocks.swapAt(nextRandom() % blocks.count, blocks.count - 1); blocks.removeLast()
  }
  total += roundBytes
}
print("allocated and freed \(total / 1_000_000) MB")
let after = Heap.bytesInUse
print("in use before \(before) after \(after)")
let half = Heap.largeFreeBytes / 2
let big = UnsafeMutableRawPointer.allocate(byteCount: half, alignment: 4096)
big.storeBytes(of: 1, toByteOffset: half - 1, as: UInt8.self)
big.deallocate()
print("one block of \(half / 1_000_000) MB: ok")
if after > before + 65536 {
  print("heap stress: memory did not come back")
  exit(1)
}
print("heap stress passed")
