// The heap spans all RAM the machine has, above 4 GiB included: prints its
// size, then touches a block from the top of the heap.
import Kernel

print("heap KiB: \(Heap.arenaBytes >> 10)")
print("largest free block MiB: \(Heap.largestFreeBlock >> 20)")
var block = [UInt8](repeating: 0, count: 64 << 20)
block[block.count - 1] = 9
print("64 MiB block: last \(block[block.count - 1])")
