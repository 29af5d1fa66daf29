// The 8254 programmable interval timer, used once at boot as a reference clock
// to measure the TSC and local APIC timer frequencies, where the machine has one.
//
// Spec: Intel 8254 datasheet (231164), "Control Word Format" and "Read-Back";
// the input clock is 1.193182 MHz on every PC. Channel 0 is read by latching
// (counter latch command), so no speaker gate (port 0x61) is needed: QEMU's
// microvm has a PIT but no port 0x61.

enum PIT {
  static let frequency: UInt64 = 1_193_182
  static let channel0: UInt16 = 0x40
  static let command: UInt16 = 0x43
  static let channel0RateGenerator: UInt8 = 0x34  // channel 0, lo/hi byte, mode 2, binary
  static let channel0Latch: UInt8 = 0x00  // counter latch command for channel 0

  /// Starts channel 0 counting down from 0xFFFF; returns whether it counts.
  /// Without a PIT (`-M microvm,pit=off`) the ports read a constant (0xFF
  /// from an unassigned port); a real count drops by at least one 0.84 µs
  /// tick between readings, each of which takes three port accesses.
  static func start() -> Bool {
    outb(command, channel0RateGenerator)
    outb(channel0, 0xFF)  // reload value 0xFFFF, low byte
    outb(channel0, 0xFF)  // high byte
    latch()
    let first = readLatched()
    for _ in 0..<3 {
      latch()
      if readLatched() != first { return true }
    }
    return false
  }

  /// Freezes channel 0's count for `readLatched()`: the count is the one at
  /// this port write ("Counter Latch Command"), however late it is read.
  static func latch() { outb(command, channel0Latch) }

  /// The count `latch()` froze, low byte then high byte.
  static func readLatched() -> UInt16 {
    let low = UInt16(inb(channel0))
    let high = UInt16(inb(channel0))
    return low | high << 8
  }
}
