// Reads through a null pointer: page 0 is unmapped, so this is a page fault.
import Kernel

print("dereferencing null")
let address = UInt(CommandLine.arguments.count - 1)  // 0, but not a constant
let pointer = UnsafePointer<UInt64>(bitPattern: address &+ 8)!
print(pointer.pointee)
