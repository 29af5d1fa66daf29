// A thread recursing without end must hit its stack's guard page and panic,
// not overwrite the heap. Main keeps its core busy, so with two cores the
// thread mostly runs on the other one (whose TLB never saw the guard unmapped).
import Kernel

@inline(never)
func recurse(_ depth: Int, _ buffer: UnsafeMutablePointer<UInt64>) -> UInt64 {
  var local: (UInt64, UInt64, UInt64, UInt64) = (UInt64(depth), 1, 2, 3)
  let below = withUnsafeMutablePointer(to: &local) {
    recurse(depth + 1, UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt64.self))
  }
  return below &+ buffer[0] &+ local.0
}

print("about to overflow a thread's stack")
let thread = Thread.spawn { () -> UInt64 in
  var seed: UInt64 = 7
  return recurse(0, &seed)
}
while !thread.isFinished {}
print("unreachable: \(thread.join())")
