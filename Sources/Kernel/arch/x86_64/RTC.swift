// The CMOS real-time clock (MC146818A and compatibles; QEMU's mc146818rtc), read
// once for the wall clock (runtime/WallClock.swift), and its periodic flag a
// reference clock for calibration on a machine without a PIT.
//
// Spec: Motorola MC146818A data sheet (address map: registers 0x00-0x09; register
// A bit 7 UIP; register B bits 1 (24/12) and 2 (DM: binary or BCD), and the
// "update cycle": the registers change once a second and read inconsistently
// while UIP is set); ACPI 6.5 §5.2.9 (FADT CENTURY: the CMOS index of the century,
// 0x32 on PCs and in QEMU). Ports: index 0x70 (bit 7 masks NMI), data 0x71.
// QEMU keeps the RTC in UTC unless started with `-rtc base=localtime`.

enum RTC {
  static let indexPort: UInt16 = 0x70
  static let dataPort: UInt16 = 0x71
  static let nmiDisable: UInt8 = 0x80  // index bit 7: keep NMIs masked while we read

  static let seconds: UInt8 = 0x00
  static let minutes: UInt8 = 0x02
  static let hours: UInt8 = 0x04  // bit 7: PM in 12-hour mode
  static let dayOfMonth: UInt8 = 0x07
  static let month: UInt8 = 0x08
  static let year: UInt8 = 0x09  // 0-99
  static let statusA: UInt8 = 0x0A
  static let statusB: UInt8 = 0x0B
  static let statusC: UInt8 = 0x0C  // read-only; reading clears its flags
  static let century: UInt8 = 0x32  // FADT CENTURY on PCs

  static let updateInProgress: UInt8 = 1 << 7  // register A: UIP
  static let hours24: UInt8 = 1 << 1  // register B: 24-hour mode
  static let binary: UInt8 = 1 << 2  // register B: DM, binary instead of BCD
  static let pm: UInt8 = 1 << 7  // hours register in 12-hour mode
  static let periodicInterruptEnable: UInt8 = 1 << 6  // register B: PIE
  static let periodicFlag: UInt8 = 1 << 6  // register C: PF, set at each period
  /// Register A: DV2-0 = 010 (the 32.768 kHz time base), RS3-0 = 0110
  /// (1024 Hz; the data sheet's "Periodic Interrupt Rate" table).
  static let divider1024Hz: UInt8 = 0x26
  static let periodicHz: UInt64 = 1024

  static func write(_ register: UInt8, _ value: UInt8) {
    outb(indexPort, nmiDisable | register)
    outb(dataPort, value)
  }

  /// Sets PF at 1024 Hz; returns registers A and B to restore, or nil without
  /// an RTC. QEMU runs the periodic timer (and sets PF) only while PIE is set,
  /// so PIE is: its IRQ 8 stays masked at the I/O APIC and the PICs.
  static func startPeriodicFlag() -> (UInt8, UInt8)? {
    let a = read(statusA)
    let b = read(statusB)
    guard a != 0xFF || b != 0xFF else { return nil }
    write(statusA, divider1024Hz | (a & updateInProgress))
    write(statusB, b | periodicInterruptEnable)
    _ = read(statusC)  // a stale PF would end the first wait early
    return (a, b)
  }

  /// Polls register C until PF rises; false if `tscLimit` TSC ticks pass first.
  static func waitForPeriodicFlag(tscLimit: UInt64) -> Bool {
    let start = Arch.timestamp()
    while read(statusC) & periodicFlag == 0 {
      if Arch.timestamp() &- start > tscLimit { return false }
    }
    return true
  }

  static func stopPeriodicFlag(restoring saved: (UInt8, UInt8)) {
    write(statusB, saved.1 & ~periodicInterruptEnable)
    write(statusA, saved.0 & ~updateInProgress)
    _ = read(statusC)
  }

  /// A calendar date and time as the RTC holds it (UTC under QEMU).
  struct DateTime: Equatable {
    var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0
  }

  static func read(_ register: UInt8) -> UInt8 {
    outb(indexPort, nmiDisable | register)
    return inb(dataPort)
  }

  /// One reading of the clock registers, decoded, once no update is in progress.
  private static func readOnce() -> DateTime {
    // UIP is set from 244 µs before an update until it ends (about 2 ms): wait
    // it out, bounded (a port read takes 1 µs on hardware, 13 µs under TCG).
    var spins = 0
    while read(statusA) & updateInProgress != 0 && spins < 10_000 { spins += 1 }
    let statusB = read(statusB)
    func value(_ raw: UInt8) -> Int {
      statusB & binary != 0 ? Int(raw) : Int(raw >> 4) * 10 + Int(raw & 0x0F)
    }
    var time = DateTime()
    time.second = value(read(seconds))
    time.minute = value(read(minutes))
    let rawHour = read(hours)
    time.hour = value(rawHour & ~pm)
    if statusB & hours24 == 0 {
      // 12-hour mode: 12 AM is 0 h, 12 PM is 12 h.
      time.hour = time.hour % 12 + (rawHour & pm != 0 ? 12 : 0)
    }
    time.day = value(read(dayOfMonth))
    time.month = value(read(month))
    let centuryValue = value(read(century))
    let yearInCentury = value(read(year))
    // Without a plausible century register, 70-99 are 19xx and 00-69 are 20xx.
    let centuryBase =
      (19...21).contains(centuryValue)
      ? centuryValue * 100 : (yearInCentury >= 70 ? 1900 : 2000)
    time.year = centuryBase + yearInCentury
    return time
  }

  /// The date and time, read until two readings in a row agree (an update
  /// between the registers of one reading makes it inconsistent); nil without
  /// an RTC (`-M microvm,rtc=off`: the ports read 0xFF).
  ///
  /// - Safety: the caller serializes access (the index and data ports are one
  ///   device shared by all cores).
  static func readDateTime() -> DateTime? {
    guard read(statusA) != 0xFF || read(statusB) != 0xFF else { return nil }
    var previous = readOnce()
    for _ in 0..<10 {
      let current = readOnce()
      if current == previous { return current }
      previous = current
    }
    return previous
  }
}
