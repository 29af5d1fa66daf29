// The TSC's and the local APIC timer's rates, measured against the PIT (a
// known 1.193182 MHz) over a window that the rest of boot runs inside: no
// time is spent only waiting.
//
// A reading of the three clocks is bracketed by two TSC reads, and is only as
// good as the time between them. Under TCG on a loaded host, the vCPU thread
// can be descheduled for milliseconds between two reads: with unbracketed
// reads over a window of a few milliseconds, one test run under a busy build
// measured the TSC about 3x too slow, and a 1 s wait ended after 0.34 s of
// the host's time. So the window closes only once it is long against its two
// readings' brackets, and a bracket the host stretched is read again.

extension Timer {
  /// One reading of the PIT and the APIC timer between two TSC reads.
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
      PIT.latch()
      let apic = LocalAPIC.currentCount
      let after = Arch.timestamp()
      let pit = PIT.readLatched()
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

  /// Opens the window.
  static func startCalibration() {
    PIT.start()
    LocalAPIC.startCalibration()
    calibrationStart = .tightest(of: 3)
  }

  /// Closes the window once at least 1 ms of PIT time has passed and the
  /// window is at least 16 times its two readings' brackets (an error of at
  /// most 1/32; a bracket's middle errs far less). Without a working PIT
  /// (reads never change) the TSC is assumed at 1 GHz and no APIC timer runs.
  static func finishCalibration() {
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
    guard elapsed >= minimumWindow else { return }
    tscPerSecond = max((end.tsc &- calibrationStart.tsc) * PIT.frequency / elapsed, 1)
    apicPerSecond = UInt64(calibrationStart.apic &- end.apic) * PIT.frequency / elapsed
  }
}
