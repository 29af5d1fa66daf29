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
  static func framePointer() -> UInt64 { readRBP() }

  /// Writes the status record, then asks QEMU to exit; never returns.
  static func powerOff(record: StaticString, exitValue: UInt8, code: UInt8?) -> Never {
    disableInterrupts()
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
