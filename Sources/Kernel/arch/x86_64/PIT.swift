// The 8254 programmable interval timer, used once at boot as a reference clock
// to measure the TSC and local APIC timer frequencies.
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

  static func start() {
    outb(command, channel0RateGenerator)
    outb(channel0, 0xFF)  // reload value 0xFFFF, low byte
    outb(channel0, 0xFF)  // high byte
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
