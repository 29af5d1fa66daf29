// W^X must bind the kernel too (CR0.WP) and data must never run (NX). The
// argument picks one violation; each must end in a page fault naming the
// address the app printed first:
//   text    write to the app's own code
//   rodata  write to a read-only global (a string literal's bytes)
//   heap    call into the heap
//   stack   call into the stack
import Kernel

@inline(never)
func victim() -> Int { CommandLine.arguments.count }

/// `ret`, then padding: code that would run fine if the page were executable.
let ret: UInt64 = 0xCCCC_CCCC_CCCC_CCC3

func run(_ code: UnsafeMutableRawPointer) {
  print("calling \(hex(code))")
  let function = unsafeBitCast(code, to: (@convention(c) () -> Void).self)
  function()
}

func hex(_ pointer: UnsafeRawPointer) -> String {
  "0x" + String(UInt(bitPattern: pointer), radix: 16)
}

let readOnly: StaticString = "a read-only global"

switch CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "" {
case "text":
  let code = unsafeBitCast(victim as @convention(c) () -> Int, to: UnsafeMutableRawPointer.self)
  print("writing \(hex(code))")
  code.storeBytes(of: 0xC3, as: UInt8.self)
case "rodata":
  let bytes = UnsafeMutableRawPointer(mutating: readOnly.utf8Start)
  print("writing \(hex(bytes))")
  bytes.storeBytes(of: 0x41, as: UInt8.self)
case "heap":
  let code = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
  code.storeBytes(of: ret, as: UInt64.self)
  run(code)
case "stack":
  var code = ret
  withUnsafeMutableBytes(of: &code) { run($0.baseAddress!) }
default:
  print("usage: protection text|rodata|heap|stack")
  exit(2)
}
print("unreachable: \(victim())")
