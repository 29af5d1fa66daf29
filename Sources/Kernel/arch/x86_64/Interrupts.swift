// Exception and interrupt dispatch: Trap.asm saves the state and calls
// kernel_trap with a TrapFrame. Spec: Intel SDM vol. 3 §6.3.1, Table 6-1.

/// Interrupt vectors the kernel uses (SDM Table 6-1 for 0–31).
enum Vector {
  static let divideError = 0  // #DE
  static let debug = 1  // #DB
  static let nmi = 2
  static let breakpoint = 3  // #BP
  static let invalidOpcode = 6  // #UD: also Swift's traps (ud2)
  static let deviceNotAvailable = 7  // #NM
  static let doubleFault = 8  // #DF
  static let generalProtection = 13  // #GP
  static let pageFault = 14  // #PF
  static let machineCheck = 18  // #MC
  static let simdException = 19  // #XM
  static let firstExternal = 32
  /// The local APIC timer (our choice: the first vector after the exceptions).
  static let timer = 32
  /// Inter-processor wake-up: gets an idle core out of hlt to look at the run queue.
  static let wakeUp = 33
  /// The 8259s' IRQ 0-7 and 8-15, remapped (PIC.swift) above the device
  /// vectors: a stray one, IRQ 7 or 15 above all, is not an exception.
  static let picMaster = 0xE0
  static let picSlave = 0xE8
  /// The local APIC's spurious-interrupt vector; its low 4 bits must be 1 on old CPUs.
  static let spurious = 0xFF

  static func name(_ vector: Int) -> StaticString {
    switch vector {
    case 0: "divide error (#DE)"
    case 1: "debug (#DB)"
    case 2: "non-maskable interrupt"
    case 3: "breakpoint (#BP)"
    case 4: "overflow (#OF)"
    case 5: "bound range exceeded (#BR)"
    case 6: "invalid opcode (#UD)"
    case 7: "device not available (#NM)"
    case 8: "double fault (#DF)"
    case 10: "invalid TSS (#TS)"
    case 11: "segment not present (#NP)"
    case 12: "stack-segment fault (#SS)"
    case 13: "general protection fault (#GP)"
    case 14: "page fault (#PF)"
    case 16: "x87 floating-point error (#MF)"
    case 17: "alignment check (#AC)"
    case 18: "machine check (#MC)"
    case 19: "SIMD floating-point exception (#XM)"
    case 20: "virtualization exception (#VE)"
    case 21: "control protection exception (#CP)"
    default: "reserved exception"
    }
  }
}

/// The state Trap.asm saved, lowest address first.
struct TrapFrame {
  var r15, r14, r13, r12, r11, r10, r9, r8: UInt64
  var rbp, rdi, rsi, rdx, rcx, rbx, rax: UInt64
  var vector, errorCode: UInt64
  var rip, cs, rflags, rsp, ss: UInt64
}

/// Interrupt counts per core and vector, printed at shutdown like the seed's
/// "Number of interrupts". Written only by the owning core.
enum InterruptCounters {
  /// xAPIC IDs are 8 bits and 0xFF is the broadcast address.
  static let maxCores = 255
  nonisolated(unsafe) static var counts: UnsafeMutablePointer<UInt64>? = nil
  /// Cores with counters: the machine's, known at boot.
  nonisolated(unsafe) static var cores = 1

  static func setUp() {
    cores = Arch.configuredCores
    let bytes = cores * 256 * 8
    let frames = Memory.allocateFrames((bytes + Int(Memory.frameSize) - 1) / Int(Memory.frameSize))
    frames.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    counts = frames.bindMemory(to: UInt64.self, capacity: cores * 256)
  }

  static func count(core: Int, vector: Int) {
    guard let counts, core < cores else { return }
    counts[core * 256 + vector] &+= 1
  }

  static func value(core: Int, vector: Int) -> UInt64 {
    guard let counts, core < cores else { return 0 }
    return counts[core * 256 + vector]
  }
}

@_cdecl("kernel_trap")
func kernelTrap(_ frameAddress: UnsafeMutableRawPointer) {
  let frame = frameAddress.assumingMemoryBound(to: TrapFrame.self)
  let vector = Int(frame.pointee.vector)
  InterruptCounters.count(core: Arch.coreIndex(), vector: vector)
  if vector >= Vector.firstExternal {
    if vector >= Vector.picMaster && vector < Vector.picSlave + 8 {
      PIC.handle(vector: vector)
      return
    }
    if vector >= Interrupts.firstDeviceVector && vector != Vector.spurious {
      // A device's handler acknowledges the device before the EOI: a level-
      // triggered line still asserted at EOI would fire again at once (SDM §11.8.5).
      _ = Interrupts.dispatch(vector)
      LocalAPIC.endOfInterrupt()
      return
    }
    // End of interrupt first: the timer handler may switch threads, and the
    // APIC holds back further interrupts of this priority until EOI (SDM §11.8.5).
    if vector != Vector.spurious { LocalAPIC.endOfInterrupt() }
    if vector == Vector.timer { Timer.tick() }
    return
  }
  reportException(frame.pointee)
}

/// Prints what went wrong, where, and the call chain, then ends the VM as a failure.
@inline(never)
func reportException(_ frame: TrapFrame) -> Never {
  let vector = Int(frame.vector)
  Console.forceVisible()
  Console.writePrefix("PANIC")
  Console.write("CPU exception ")
  Console.writeDecimal(UInt64(vector))
  Console.write(": ")
  Console.write(Vector.name(vector))
  Console.writeLine(continuing: "PANIC", "error code ")
  Console.writeHex(frame.errorCode)
  Console.write(" rip ")
  Console.writeHex(frame.rip)
  Console.write(" rsp ")
  Console.writeHex(frame.rsp)
  if vector == Vector.pageFault {
    let address = readCR2()
    Console.write(" cr2 ")
    Console.writeHex(address)
    // Error code bits (SDM §4.7): P, W/R, U/S, RSVD, I/D.
    Console.write(frame.errorCode & 1 == 0 ? " (not present" : " (protection")
    Console.write(frame.errorCode & 2 == 0 ? ", read" : ", write")
    if frame.errorCode & 16 != 0 { Console.write(", instruction fetch") }
    Console.write(")")
    if address < 4096 {
      Console.writeLine(continuing: "PANIC", "null pointer dereference")
    }
    if Memory.isStackGuard(address) {
      // The boot stack's guard, or a secondary core's (its idle thread's stack).
      Console.writeLine(continuing: "PANIC", "kernel stack overflow (guard page)")
    } else if frame.errorCode & 1 == 0 && Heap.contains(address) {
      Console.writeLine(continuing: "PANIC", "thread stack overflow (guard page)")
    }
  }
  if vector == Vector.invalidOpcode, Memory.isMapped(frame.rip, length: 2),
    UnsafePointer<UInt16>(bitPattern: UInt(frame.rip))!.pointee == 0x0B0F
  {
    // ud2 (0F 0B) is how Swift traps: overflow, index out of range, nil unwrap,
    // division by zero, fatalError and failed preconditions.
    Console.writeLine(continuing: "PANIC", "Swift runtime failure (trap)")
  }
  Console.write("\n")
  Backtrace.print(rip: frame.rip, rbp: frame.rbp)
  Shutdown.panicExit()
}
