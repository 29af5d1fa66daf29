// The TSC's and the local APIC timer's rates. The TSC's comes from the first
// source that has it:
// 1. the CPU: CPUID leaf 0x15 with its crystal's frequency (SDM vol. 2A,
//    CPUID "Time Stamp Counter and Nominal Core Crystal Clock"), or a
//    hypervisor's timing leaf 0x40000010 (TSC and APIC bus in kHz, the leaf
//    VMware defined and KVM and QEMU's `vmware-cpuid-freq` fill);
// 2. the APIC timer, where the hypervisor fixes its rate (QEMU under TCG and
//    KVM: CPUTiming.knownAPICTimer), measured over a window that the rest of
//    boot runs inside (no time is spent only waiting), with no port I/O;
// 3. the PIT, a known 1.193182 MHz, over the same window;
// 4. the RTC's periodic flag at 1024 Hz: 16 periods, about 16 ms of boot.
//    Coarse under QEMU: the flag is set by a timer of QEMU's main loop, which
//    a busy host delays (TSC rates 30-50% high were seen under TCG);
// 5. CPUID leaf 0x16's base frequency, which the SDM does not promise is the
//    TSC's (under TCG it is not: the TSC runs at the host's rate); else 1 GHz.
// The APIC timer is measured against whichever reference measured the TSC, or
// against the TSC over the boot window when the CPU named the TSC's rate.
// `calibrate=pit` or `calibrate=rtc` on the command line skips 1 and 2.
//
// A reading of the clocks is bracketed by two TSC reads, and is only as
// good as the time between them. Under TCG on a loaded host, the vCPU thread
// can be descheduled for milliseconds between two reads: with unbracketed
// reads over a window of a few milliseconds, one test run under a busy build
// measured the TSC about 3x too slow, and a 1 s wait ended after 0.34 s of
// the host's time. So the window closes only once it is long against its two
// readings' brackets, and a bracket the host stretched is read again.

extension Timer {
  /// Where the TSC's rate came from (shown in the boot log).
  enum Reference {
    case cpuid, apicTimer, pit, rtc, nominal, guess

    var name: String {
      switch self {
      case .cpuid: "CPUID"
      case .apicTimer: "APIC timer"
      case .pit: "PIT"
      case .rtc: "RTC"
      case .nominal: "CPUID base frequency"
      case .guess: "assumed"
      }
    }
  }

  nonisolated(unsafe) static var reference = Reference.guess
  /// Whether channel 0 of a PIT counts (set when the window opens).
  nonisolated(unsafe) static var hasPIT = false

  /// One reading of the PIT (if there is one) and the APIC timer between two TSC reads.
  struct ClockReading {
    var pit: UInt16
    var apic: UInt32
    /// The middle of the bracket, and its width (TSC ticks).
    var tsc: UInt64
    var width: UInt64

    /// The bracket holds the PIT's latch command and the APIC read (an I/O
    /// port write and an MMIO read, ~13 µs each under TCG); the latched count
    /// is read after it.
    static func take() -> ClockReading {
      let before = Arch.timestamp()
      if hasPIT { PIT.latch() }
      let apic = LocalAPIC.currentCount
      let after = Arch.timestamp()
      let pit = hasPIT ? PIT.readLatched() : 0
      return ClockReading(
        pit: pit, apic: apic, tsc: before &+ (after &- before) / 2, width: after &- before)
    }

    /// The tightest of `count` readings.
    static func tightest(of count: Int) -> ClockReading {
      var best = take()
      for _ in 1..<count {
        let next = take()
        if next.width < best.width { best = next }
      }
      return best
    }
  }

  nonisolated(unsafe) static var calibrationStart = ClockReading(pit: 0, apic: 0, tsc: 0, width: 0)

  /// Opens the window: starts the APIC timer's count-down, and the PIT (if
  /// there is one) when neither the CPU nor the hypervisor names a rate.
  /// `commandLine`: the kernel's, for `calibrate=`.
  static func startCalibration(commandLine: UnsafeRawBufferPointer) {
    LocalAPIC.startCalibration()
    let forcePIT = KernelCommandLine.hasOption("calibrate=pit", in: commandLine)
    let forceRTC = KernelCommandLine.hasOption("calibrate=rtc", in: commandLine)
    if forceRTC {
      reference = .rtc
    } else if !forcePIT && CPUTiming.rates() != nil {
      reference = .cpuid
    } else if !forcePIT && CPUTiming.knownAPICTimer() != nil {
      reference = .apicTimer
    } else {
      hasPIT = PIT.start()
      reference = hasPIT ? .pit : .rtc
    }
    calibrationStart = .tightest(of: 3)
  }

  /// Closes the window and sets both rates.
  static func finishCalibration() {
    if reference == .apicTimer, let apic = CPUTiming.knownAPICTimer() {
      apicPerSecond = apic
      measureTSCAgainstAPIC()
    } else if reference == .cpuid, let rates = CPUTiming.rates() {
      reference = .cpuid
      tscPerSecond = rates.tsc
      if let apic = rates.apicTimer {
        apicPerSecond = apic
      } else {
        measureAPICAgainstTSC()
      }
    } else if hasPIT && calibrateAgainstPIT() {
      reference = .pit
    } else if calibrateAgainstRTC() {
      reference = .rtc
    } else {
      let nominal = CPUTiming.nominalTSC()
      reference = nominal == nil ? .guess : .nominal
      tscPerSecond = nominal ?? 1_000_000_000
      measureAPICAgainstTSC()
    }
  }

  /// The TSC against the APIC timer (whose rate is known) over the window,
  /// closing it once it spans at least 1 ms of APIC ticks and 16 times its
  /// brackets.
  private static func measureTSCAgainstAPIC() {
    let minimum = UInt32(max(apicPerSecond / 1000, 1))
    var end = ClockReading.take()
    while calibrationStart.apic &- end.apic < minimum
      || end.tsc &- calibrationStart.tsc < 16 * (calibrationStart.width + end.width)
    {
      end = ClockReading.take()
    }
    let ticks = UInt64(calibrationStart.apic &- end.apic)
    tscPerSecond = max((end.tsc &- calibrationStart.tsc) * apicPerSecond / ticks, 1)
  }

  /// The APIC timer against the TSC (whose rate is known) over the window,
  /// closing it once it spans at least 1 ms and 16 times its brackets.
  private static func measureAPICAgainstTSC() {
    let minimum = max(tscPerSecond / 1000, 1)
    var end = ClockReading.take()
    while end.tsc &- calibrationStart.tsc < max(minimum, 16 * (calibrationStart.width + end.width))
    {
      end = ClockReading.take()
    }
    apicPerSecond =
      UInt64(calibrationStart.apic &- end.apic) * tscPerSecond
      / max(end.tsc &- calibrationStart.tsc, 1)
  }

  /// Closes the PIT's window once at least 1 ms of PIT time has passed and the
  /// window is at least 16 times its two readings' brackets (an error of at
  /// most 1/32; a bracket's middle errs far less). Returns false if the PIT
  /// did not advance.
  private static func calibrateAgainstPIT() -> Bool {
    let minimumWindow: UInt64 = 1193  // PIT ticks: 1 ms
    // The PIT counts down from 0xFFFF and wraps every 55 ms. QEMU's APIC timer
    // runs at 1 GHz / 16 (its APIC bus is 1 GHz under TCG and KVM): past ~48 ms
    // the PIT may wrap unseen, so the window opens again.
    let maximumAPICTicks: UInt32 = 3_000_000
    var end = ClockReading.take()
    var elapsed: UInt64 = 0
    for _ in 0..<100_000 {
      if calibrationStart.apic &- end.apic > maximumAPICTicks {
        calibrationStart = .tightest(of: 3)
        elapsed = 0
      } else {
        elapsed = UInt64(calibrationStart.pit &- end.pit)  // counts down, wraps at 0x10000
        let window = end.tsc &- calibrationStart.tsc
        if elapsed >= minimumWindow && window >= 16 * (calibrationStart.width + end.width) {
          break
        }
      }
      end = ClockReading.take()
    }
    guard elapsed >= minimumWindow else { return false }
    tscPerSecond = max((end.tsc &- calibrationStart.tsc) * PIT.frequency / elapsed, 1)
    apicPerSecond = UInt64(calibrationStart.apic &- end.apic) * PIT.frequency / elapsed
    return true
  }

  /// Counts 16 periods of the RTC's 1024 Hz flag from one edge to another.
  /// Each edge is seen within one poll (two port accesses, ~26 µs under TCG):
  /// an error of about 0.2% over the 15.6 ms. False without an RTC, or if its
  /// flag does not rise within ~0.1 s.
  private static func calibrateAgainstRTC() -> Bool {
    let periods: UInt64 = 16
    guard let saved = RTC.startPeriodicFlag() else { return false }
    defer { RTC.stopPeriodicFlag(restoring: saved) }
    // Even at 10 GHz, 10^9 TSC ticks are 100 ms: 100 periods.
    let limit: UInt64 = 1_000_000_000
    guard RTC.waitForPeriodicFlag(tscLimit: limit) else { return false }
    let start = ClockReading.take()
    for _ in 0..<periods {
      guard RTC.waitForPeriodicFlag(tscLimit: limit) else { return false }
    }
    let end = ClockReading.take()
    let window = end.tsc &- start.tsc
    tscPerSecond = max(window * RTC.periodicHz / periods, 1)
    apicPerSecond = UInt64(start.apic &- end.apic) * RTC.periodicHz / periods
    return true
  }
}
