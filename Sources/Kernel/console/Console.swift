// The console: app output (print, via putchar) and kernel log lines, both on the
// serial port. Writers here never allocate, so a panic can still report.
//
// Lines stay whole: the thread that writes a line's first byte owns the console
// until it writes the line's newline, and other threads' bytes wait (Embedded
// Swift's print hands over one byte at a time). The owner is a thread, not a
// core, so an owner that is preempted mid-line keeps its line, and no core
// runs with interrupts off between bytes. A thread that blocks or exits with
// its line open (a print with another terminator) gives it up; one that runs
// on without ending it loses it once the console made no progress for
// `lineTimeout` and `stealSpins` waits (a 50th of both for a writer with
// interrupts off, for which an owner preempted on its core could never
// finish). The bound is long on purpose: under TCG on a busy host a core's
// thread may not run for a long while (the TSC runs on), and that must not
// look like an abandoned line. A panic takes the console at once: it never
// deadlocks.
import Synchronization

enum Console {
  /// `quiet` on the command line: keep only the app's own output.
  nonisolated(unsafe) static var quiet = false

  /// Panics always print, even in quiet mode, and take the console from a
  /// line another thread left open.
  static func forceVisible() {
    quiet = false
    let interruptsWereEnabled = Arch.disableInterrupts()
    lineOwner.store(writerToken(), ordering: .releasing)
    Arch.restoreInterrupts(interruptsWereEnabled)
  }

  /// The thread whose line is being written (`writerToken`), 0 when none.
  static let lineOwner = Atomic<UInt>(0)
  /// Bytes written so far: the owner's progress, as waiters see it.
  static let bytesWritten = Atomic<UInt>(0)
  /// How long a writer waits for a line that makes no progress before it
  /// takes over, and how many times at least it must have looked meanwhile.
  static let lineTimeout: UInt64 = 5_000_000_000
  static let stealSpins = 1_000_000

  @inline(never)
  static func write(_ byte: UInt8) {
    let interruptsWereEnabled = Arch.disableInterrupts()
    let me = writerToken()
    if lineOwner.load(ordering: .acquiring) != me { acquireLine(me, interruptsWereEnabled) }
    Serial.write(byte)
    bytesWritten.wrappingAdd(1, ordering: .relaxed)
    if byte == UInt8(ascii: "\n") { lineOwner.store(0, ordering: .releasing) }
    Arch.restoreInterrupts(interruptsWereEnabled)
  }

  /// Waits until no line is open (or the open one is abandoned), then owns the
  /// console. Interrupts are off on entry and exit; in between, they are on
  /// again while it waits (if they were on), so that a preempted owner on this
  /// core gets to finish its line.
  @inline(never)
  static func acquireLine(_ me: UInt, _ interruptsWereEnabled: Bool) {
    var progress = bytesWritten.load(ordering: .relaxed)
    var quietSince = Timer.uptimeNanoseconds()
    var quietSpins = 0
    while !lineOwner.compareExchange(expected: 0, desired: me, ordering: .acquiring).exchanged {
      let now = bytesWritten.load(ordering: .relaxed)
      if now != progress {
        progress = now
        quietSince = Timer.uptimeNanoseconds()
        quietSpins = 0
      } else {
        quietSpins += 1
        // With interrupts off (an interrupt handler, a critical section) an
        // owner preempted on this core cannot finish: wait 1/50 as long.
        let spins = interruptsWereEnabled ? stealSpins : stealSpins / 50
        let timeout = interruptsWereEnabled ? lineTimeout : lineTimeout / 50
        if quietSpins >= spins && Timer.uptimeNanoseconds() &- quietSince >= timeout {
          lineOwner.store(me, ordering: .releasing)  // take over an abandoned line
          return
        }
      }
      Arch.restoreInterrupts(interruptsWereEnabled)
      Arch.spinHint()
      _ = Arch.disableInterrupts()
    }
  }

  /// Gives up the running thread's open line, if it has one (it blocks or
  /// exits, so the line cannot be in the middle of a print).
  static func closeLine() {
    let interruptsWereEnabled = Arch.disableInterrupts()
    _ = lineOwner.compareExchange(expected: writerToken(), desired: 0, ordering: .releasing)
    Arch.restoreInterrupts(interruptsWereEnabled)
  }

  /// The running thread, as a non-zero word: its context's address once the
  /// scheduler runs, else the core's index + 1 (only core 0 runs then).
  /// Interrupts are off, so the thread cannot move meanwhile.
  static func writerToken() -> UInt {
    guard Scheduler.started else { return UInt(Arch.coreIndex()) &+ 1 }
    return UInt(bitPattern: Scheduler.currentCore.current.context)
  }

  @inline(never)
  static func write(_ text: StaticString) {
    text.withUTF8Buffer { bytes in
      for byte in bytes { write(byte) }
    }
  }

  static func write(_ text: String) {
    for byte in text.utf8 { write(byte) }
  }

  @inline(never)
  static func writeDecimal(_ value: UInt64) {
    var digits:
      (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
      ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var rest = value
    withUnsafeMutableBytes(of: &digits) { buffer in
      let slots = buffer.bindMemory(to: UInt64.self)
      repeat {
        slots[count] = rest % 10
        rest /= 10
        count += 1
      } while rest > 0
      while count > 0 {
        count -= 1
        write(UInt8(ascii: "0") + UInt8(slots[count]))
      }
    }
  }

  /// `[core][LEVEL] `, the seed's log line prefix, for the core we run on.
  @inline(never)
  static func writePrefix(_ level: StaticString) {
    write(UInt8(ascii: "["))
    writeDecimal(UInt64(Arch.coreIndex()))
    write("][")
    write(level)
    write("] ")
  }

  /// Ends the current line and starts `[core][LEVEL] text`.
  @inline(never)
  static func writeLine(continuing level: StaticString, _ text: StaticString) {
    write(UInt8(ascii: "\n"))
    writePrefix(level)
    write(text)
  }

  static func writeHex(_ value: UInt64) {
    write("0x")
    var shift = 60
    var started = false
    while shift >= 0 {
      let nibble = UInt8((value >> UInt64(shift)) & 0xF)
      if nibble != 0 || started || shift == 0 {
        started = true
        write(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
      }
      shift -= 4
    }
  }
}

/// Kernel log lines in the seed's format: `[core][LEVEL] message`.
enum Log {
  static func info(_ message: String) {
    guard !Console.quiet else { return }
    Console.writePrefix("INFO")
    Console.write(message)
    Console.write(UInt8(ascii: "\n"))
  }

  /// `[core][INFO] label`, then what `rest` writes to the Console, as one
  /// line: for lines with numbers in them, without building a String.
  static func info(_ label: StaticString, _ rest: () -> Void) {
    guard !Console.quiet else { return }
    Console.writePrefix("INFO")
    Console.write(label)
    rest()
    Console.write(UInt8(ascii: "\n"))
  }

  static func warning(_ message: String) {
    guard !Console.quiet else { return }
    Console.writePrefix("WARN")
    Console.write(message)
    Console.write(UInt8(ascii: "\n"))
  }
}

/// Embedded Swift's `print` writes through putchar.
@_cdecl("putchar")
func putchar(_ character: CInt) -> CInt {
  Console.write(UInt8(truncatingIfNeeded: character))
  return character
}
