// A secondary core's start-up stack (its idle thread's stack) has an unmapped
// guard page below it, like a thread's. The kernel names it through a C symbol
// for tests; reading the stack's lowest byte works, reading below it faults.
import Kernel

@_extern(c, "hermit_core_stack_guard") func coreStackGuard(_ core: Int) -> UInt64

let worker = Thread.spawn { 1 }  // starts the other cores
_ = worker.join()
let guardPage = coreStackGuard(1)
print("core 1 stack guard 0x\(String(guardPage, radix: 16))")
guard guardPage != 0 else { exit(1) }
let bottom = UnsafePointer<UInt8>(bitPattern: UInt(guardPage) + 4096)!
print("stack bottom readable: \(bottom.pointee &+ 1 > 0)")
let below = UnsafePointer<UInt8>(bitPattern: UInt(guardPage) + 4095)!
print("unreachable: \(below.pointee)")
