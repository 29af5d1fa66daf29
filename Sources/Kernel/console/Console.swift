// The console: app output (print, via putchar) and kernel log lines, both on the
// serial port. Writers here never allocate, so a panic can still report.

enum Console {
  /// `quiet` on the command line: keep only the app's own output.
  nonisolated(unsafe) static var quiet = false

  /// Panics always print, even in quiet mode.
  static func forceVisible() { quiet = false }

  @inline(never)
  static func write(_ byte: UInt8) { Serial.write(byte) }

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
