// The local APIC in xAPIC (MMIO) mode, for the timer and end-of-interrupt.
//
// Spec: Intel SDM vol. 3 §11.4 (local APIC registers, Table 11-1), §11.5.4
// (APIC timer), §11.9 (spurious interrupt). QEMU's microvm and pc machines both
// have one per CPU at the default base 0xFEE00000.
import _Volatile

enum LocalAPIC {
  static let registerID = 0x20  // local APIC ID, bits 31:24
  static let registerEOI = 0xB0  // write 0 to signal end of interrupt
  static let registerSpurious = 0xF0  // SVR: bit 8 = APIC software enable
  static let registerICRLow = 0x300  // interrupt command, bits 31:0 (write sends)
  static let registerICRHigh = 0x310  // interrupt command, bits 63:32: destination in 31:24
  static let registerTimerLVT = 0x320  // LVT timer: vector, bit 16 mask, bit 17 periodic
  static let registerTimerInitial = 0x380
  static let registerTimerCurrent = 0x390
  static let registerTimerDivide = 0x3E0  // 0b0011 = divide by 16
  static let softwareEnable: UInt32 = 1 << 8
  static let lvtMasked: UInt32 = 1 << 16
  static let lvtPeriodic: UInt32 = 1 << 17
  static let divideBy16: UInt32 = 0b0011
  // ICR fields (SDM §11.6.1, Figure 11-12).
  static let icrDeliveryPending: UInt32 = 1 << 12  // delivery status: send pending
  static let icrLevelAssert: UInt32 = 1 << 14
  static let icrModeINIT: UInt32 = 0b101 << 8
  static let icrModeStartUp: UInt32 = 0b110 << 8
  static let baseMask: UInt64 = 0xF_FFFF_F000  // IA32_APIC_BASE bits 35:12

  nonisolated(unsafe) static var base: UInt = 0xFEE0_0000

  static func read(_ register: Int) -> UInt32 {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(register)).load()
  }

  static func write(_ register: Int, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(register)).store(value)
  }

  /// Physical base of this CPU's local APIC (IA32_APIC_BASE, SDM §11.4.4).
  static var physicalBase: UInt64 { rdmsr(MSR.apicBase) & baseMask }

  /// Enables the APIC and masks the legacy 8259 PICs, so only the APIC interrupts.
  static func enable() {
    base = UInt(physicalBase)
    // 8259A: OCW1 with all bits set masks every IRQ (8259A datasheet, p. 14).
    outb(0x21, 0xFF)  // master PIC data port
    outb(0xA1, 0xFF)  // slave PIC data port
    write(registerSpurious, softwareEnable | UInt32(Vector.spurious))
    write(registerTimerDivide, divideBy16)
    write(registerTimerLVT, lvtMasked | UInt32(Vector.timer))
  }

  /// Enables an AP's local APIC (the PICs are masked already), timer masked.
  static func enableOnSecondaryCore() {
    write(registerSpurious, softwareEnable | UInt32(Vector.spurious))
    write(registerTimerDivide, divideBy16)
    write(registerTimerLVT, lvtMasked | UInt32(Vector.timer))
  }

  /// Starts the one-shot count-down used to measure the timer's frequency.
  static func startCalibration() {
    write(registerTimerLVT, lvtMasked | UInt32(Vector.timer))
    write(registerTimerInitial, UInt32.max)
  }

  static var currentCount: UInt32 { read(registerTimerCurrent) }

  /// Fires `Vector.timer` every `ticks` timer ticks (bus clock / 16).
  static func startPeriodic(ticks: UInt32) {
    write(registerTimerLVT, lvtPeriodic | UInt32(Vector.timer))
    write(registerTimerInitial, max(ticks, 1))
  }

  /// Fires `Vector.timer` once, after `ticks` timer ticks (one-shot mode, LVT
  /// bits 18:17 = 00, SDM §11.5.4); a new count replaces a pending one.
  static func fireOnce(afterTicks ticks: UInt32) {
    write(registerTimerLVT, UInt32(Vector.timer))
    write(registerTimerInitial, max(ticks, 1))
  }

  /// Stops the timer: an initial count of 0 stops it (SDM §11.5.4).
  static func stopTimer() { write(registerTimerInitial, 0) }

  static func endOfInterrupt() { write(registerEOI, 0) }

  static var id: UInt32 { read(registerID) >> 24 }

  /// Sends an inter-processor interrupt `command` (ICR low word) to the local
  /// APIC `destination` and waits until the APIC accepted it (SDM §11.6.1:
  /// software checks the delivery status bit before sending the next IPI).
  static func sendIPI(to destination: UInt32, command: UInt32) {
    write(registerICRHigh, destination << 24)
    write(registerICRLow, command)
    while read(registerICRLow) & icrDeliveryPending != 0 { Arch.spinHint() }
  }
}
