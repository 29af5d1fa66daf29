// Frame-pointer backtraces for panics and exceptions. Each frame is printed with
// its address and its offset in the app's ELF file's address space, so
// `llvm-symbolizer --obj=APP 0xOFFSET` names the function on the host. App frames
// also go to the status channel as `HERMIT-FRAME pc|ret app+0xOFFSET` (docs/ABI.md),
// where hermit-runtime finds them and symbolizes them with the app's symbols.

enum Backtrace {
  static let maxFrames = 24

  /// Prints `rip` (the faulting instruction, if any) and the return addresses
  /// found by following the saved frame pointers from `rbp`.
  static func print(rip: UInt64?, rbp: UInt64) {
    Console.writePrefix("PANIC")
    Console.write("backtrace:\n")
    var index = 0
    if let rip {
      frame(0, rip, isReturnAddress: false)
      index = 1
    }
    var framePointer = rbp
    while index < maxFrames, framePointer != 0, framePointer & 7 == 0,
      Memory.isMapped(framePointer, length: 16)
    {
      let pointer = UnsafePointer<UInt64>(bitPattern: UInt(framePointer))!
      let returnAddress = pointer[1]
      if returnAddress == 0 { break }
      frame(index, returnAddress, isReturnAddress: true)
      let next = pointer[0]
      if next <= framePointer { break }  // stacks grow down: callers are above
      framePointer = next
      index += 1
    }
  }

  /// `isReturnAddress`: the address follows a call (the host looks up the call
  /// itself, one byte earlier); otherwise it is where the CPU faulted.
  private static func frame(_ index: Int, _ address: UInt64, isReturnAddress: Bool) {
    Console.writePrefix("PANIC")
    Console.write("  #")
    Console.writeDecimal(UInt64(index))
    Console.write(" ")
    Console.writeHex(address)
    if Memory.isInApp(address) {
      Console.write(" (app+")
      Console.writeHex(address &- Memory.appBias)
      Console.write(")")
      Arch.writeStatus(isReturnAddress ? "HERMIT-FRAME ret app+" : "HERMIT-FRAME pc app+")
      Arch.writeStatusHex(address &- Memory.appBias)
      Arch.writeStatus("\n")
    }
    Console.write("\n")
  }
}
