// The local APIC in xAPIC (MMIO) mode, for the timer and end-of-interrupt.
//
// Spec: Intel SDM vol. 3 §11.4 (local APIC registers, Table 11-1), §11.5.4
// (APIC timer), §11.9 (spurious interrupt). QEMU's microvm and pc machines both
// have one per CPU at the default base 0xFEE00000.
import _Volatile

enum LocalAPIC {
  static let registerID = 0x20  // local APIC ID, bits 31:24
  static let registerEOI = 0xB0  // write 0 to signal end of interrupt
  static let registerISR = 0x100  // in-service, 8 registers of 32 bits, 0x10 apart
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
  static let icrShorthandSelf: UInt32 = 0b01 << 18
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

  /// Enables the APIC (PIC.swift masked the legacy 8259s, so only the APIC interrupts).
  static func enable() {
    base = UInt(physicalBase)
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

  /// Whether `vector` is in service at this APIC (it came through the APIC,
  /// not as an 8259's ExtINT), SDM §11.8.4.
  static func isInService(_ vector: Int) -> Bool {
    read(registerISR + 0x10 * (vector / 32)) & (1 << UInt32(vector % 32)) != 0
  }

  /// Sends `vector` to this core (fixed delivery, destination shorthand
  /// "self", SDM §11.6.1).
  static func sendSelf(_ vector: Int) {
    sendIPI(to: 0, command: icrShorthandSelf | UInt32(vector))
  }

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
