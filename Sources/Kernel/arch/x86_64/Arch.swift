// The architecture API portable kernel code uses: console bytes, time stamps,
// halting, randomness. Nothing outside arch/ names an x86 register or port.

enum Arch {
  /// Serial console transmit (COM1), see console/Serial.swift for the device.
  static let consolePort: UInt16 = 0x3F8
  /// isa-debug-exit (docs/ABI.md): QEMU exits with (value << 1) | 1.
  static let debugExitPort: UInt16 = 0xF4
  /// debugcon: the status record channel (docs/ABI.md).
  static let statusPort: UInt16 = 0xE9

  static func timestamp() -> UInt64 { rdtsc() }
  static func spinHint() { cpuPause() }
  static func idle() { waitForInterrupt() }
  static func hardwareRandom() -> UInt64? { CPUID.hasRDRAND ? rdrand() : nil }
  /// A seed for a key from the entropy source (RDSEED), where there is one.
  static func hardwareSeed() -> UInt64? { CPUID.hasRDSEED ? rdseed() : nil }
  static func framePointer() -> UInt64 { readRBP() }
  /// The battery-backed clock's date and time (UTC under QEMU), see RTC.swift;
  /// nil if the machine has none. The caller serializes calls.
  static func readRealTimeClock() -> RTC.DateTime? { RTC.readDateTime() }

  // MARK: Cores, interrupts and threads (for sched/)

  /// This core's index (0 = the boot CPU), from the per-core word GDT.swift set up.
  /// Before the boot core loaded its tables (an early panic) GS means nothing: 0.
  @inline(never)
  static func coreIndex() -> Int { CPUTables.idt == nil ? 0 : readCoreIndex() }
  /// How many cores run kernel code (1 until SMP.swift started the others).
  static var onlineCores: Int { SMP.onlineCores }
  /// How many cores the machine has (and the kernel will use).
  static var configuredCores: Int { min(SMP.cpuCount, SMP.maxCores) }
  /// Interrupts core `index` (which may be halted in its idle loop).
  static func wakeCore(_ index: Int) {
    LocalAPIC.sendIPI(to: SMP.apicID(ofCore: index), command: UInt32(Vector.wakeUp))  // fixed
  }
  /// Drops this core's cached translation of the page at `address`.
  static func invalidateMapping(of address: UnsafeMutableRawPointer) {
    invalidatePage(UInt64(UInt(bitPattern: address)))
  }
  static func spinLock(_ word: UnsafeMutablePointer<UInt32>) { hermitSpinLock(word) }
  static func spinUnlock(_ word: UnsafeMutablePointer<UInt32>) { hermitSpinUnlock(word) }
  /// Disables interrupts on this core; returns whether they were enabled.
  static func disableInterrupts() -> Bool { saveAndDisableInterrupts() }
  /// Enables interrupts again if `wereEnabled`.
  static func restoreInterrupts(_ wereEnabled: Bool) {
    if wereEnabled { enableInterrupts() }
  }
  /// Starts the other cores; each calls `entry` with interrupts enabled.
  static func startSecondaryCores(entry: @convention(c) () -> Void) {
    SMP.startSecondaryCores(entry: entry)
  }

  /// Size of the frame `prepareThreadStack` writes (see Switch.asm).
  static let threadFrameSize = 9 * 8

  /// Writes a first frame at the top of a new thread's stack so that switching to
  /// it runs kernel_thread_entry; returns the stack pointer to switch to.
  ///
  /// - Safety: `top` is the 16-byte aligned end of memory the thread owns, with at
  ///   least `threadFrameSize` bytes below it.
  static func prepareThreadStack(top: UnsafeMutableRawPointer) -> UInt64 {
    let frame = (top - threadFrameSize).bindMemory(to: UInt64.self, capacity: 9)
    frame[0] = 0x037F << 32 | 0x1F80  // MXCSR and x87 control word at their reset values
    for register in 1...6 { frame[register] = 0 }  // r15 r14 r13 r12 rbx rbp
    frame[7] = threadStartAddress()  // hermit_switch's `ret` goes here
    frame[8] = 0  // a null return address under the entry frame
    return UInt64(UInt(bitPattern: frame))
  }

  /// Saves the running context's stack pointer in `save.pointee` and continues
  /// on the context whose stack pointer is `target`.
  ///
  /// - Safety: interrupts are disabled; `target` came from a previous switch or
  ///   from `prepareThreadStack`, and its stack is not in use elsewhere.
  static func switchContext(save: UnsafeMutablePointer<UInt64>, to target: UInt64) {
    switchStacks(save, target)
  }

  /// Writes the status record, then asks QEMU to exit; never returns.
  static func powerOff(record: StaticString, exitValue: UInt8, code: UInt8?) -> Never {
    _ = disableInterrupts()
    record.withUTF8Buffer { bytes in
      for byte in bytes { outb(statusPort, byte) }
    }
    if let code {
      // exit=<code>\n: the code in decimal, written without allocating.
      var digits: (UInt8, UInt8, UInt8) = (0, 0, 0)
      var count = 0
      var value = code
      repeat {
        let digit = UInt8(ascii: "0") + value % 10
        switch count {
        case 0: digits.0 = digit
        case 1: digits.1 = digit
        default: digits.2 = digit
        }
        value /= 10
        count += 1
      } while value > 0
      if count > 2 { outb(statusPort, digits.2) }
      if count > 1 { outb(statusPort, digits.1) }
      outb(statusPort, digits.0)
      outb(statusPort, UInt8(ascii: "\n"))
    }
    outb(debugExitPort, exitValue)
    // No isa-debug-exit device: a triple fault ends QEMU under -no-reboot.
    tripleFault()
    while true { waitForInterrupt() }
  }
}
