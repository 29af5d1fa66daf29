import Foundation
import Testing

/// Tickless timers: one-shot APIC deadlines for sleeps and timed waits, time
/// slices only while a core runs threads, none while it idles.
@Suite struct TimerTests {
  @Test func eventWaitsTimeOutAfterTheirTimeoutByTheHostsClock() throws {
    var hostMilliseconds = -1.0
    let run = try GuestBoot.boot("timing", append: "-- event", timeout: 60, letsGuestFinish: true) {
      output in
      guard GuestBoot.waitForOutput(output, containing: "start\n", timeout: 30) else { return }
      let begin = Date()
      guard GuestBoot.waitForOutput(output, containing: "end\n", timeout: 30) else { return }
      hostMilliseconds = Date().timeIntervalSince(begin) * 1000
    }
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("timed out 10 of 10 in "), "\(run.output)")
    // Ten waits of 100 ms: 1000 ms ± 10 × 20 ms, as the host saw it.
    #expect((800...1200).contains(hostMilliseconds), "host saw \(hostMilliseconds) ms")
  }

  /// `-M microvm,pit=off`: the clocks are calibrated against QEMU's APIC timer
  /// (no CPUID leaf names the TSC's rate under TCG), and timed waits end, on
  /// time by the host's clock within a wide margin (the host is shared).
  @Test func withoutAPITTimedWaitsEndByTheHostsClock() throws {
    var hostMilliseconds = -1.0
    let run = try GuestBoot.boot(
      "timing", append: "-- event", machine: .microvmWithoutPIT, timeout: 60,
      letsGuestFinish: true
    ) { output in
      guard GuestBoot.waitForOutput(output, containing: "start\n", timeout: 30) else { return }
      let begin = Date()
      guard GuestBoot.waitForOutput(output, containing: "end\n", timeout: 30) else { return }
      hostMilliseconds = Date().timeIntervalSince(begin) * 1000
    }
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains(" MHz (APIC timer), APIC timer: 62 MHz"), "\(run.output)")
    #expect(run.output.contains("timed out 10 of 10 in "), "\(run.output)")
    #expect((700...2000).contains(hostMilliseconds), "host saw \(hostMilliseconds) ms")
  }

  /// The last references before a guess: the RTC's periodic flag (coarse
  /// under a busy host, so the margin is wide), and the PIT.
  @Test(arguments: ["rtc", "pit"])
  func sleepsEndWithTheClocksCalibratedAgainst(reference: String) throws {
    let machine: GuestBoot.PCMachine? = reference == "rtc" ? .microvmWithoutPIT : nil
    let begin = Date()
    let run = try GuestBoot.boot(
      "timing", append: "calibrate=\(reference) -- event", machine: machine, timeout: 60)
    let seconds = Date().timeIntervalSince(begin)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains(" MHz (\(reference.uppercased())), APIC timer: "), "\(run.output)")
    #expect(run.output.contains("timed out 10 of 10 in "), "\(run.output)")
    #expect(seconds >= 0.5 && seconds < 30, "the whole boot took \(seconds) s")
  }

  @Test func joinWithATimeoutGivesUpThenJoinWithoutOneWaits() throws {
    let run = try GuestBoot.boot("timing", append: "-- join", timeout: 60)
    #expect(run.status == .exited(0), "\(run.output)")
    let line = try #require(
      run.lines.first { $0.hasPrefix("join after 100 ms: still running (") }, "\(run.output)")
    let milliseconds = Int(line.split(separator: "(")[1].split(separator: " ")[0]) ?? -1
    #expect((90...200).contains(milliseconds), "\(line)")
    #expect(run.lines.contains("join without limit: 7"))
  }

  @Test func aThousandSleepsOfOneMillisecondTakeUnderThreeSeconds() throws {
    let begin = Date()
    let run = try GuestBoot.boot("timing", append: "-- sleeps", timeout: 60)
    let seconds = Date().timeIntervalSince(begin)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("1000 sleeps of 1 ms took "), "\(run.output)")
    #expect(seconds < 3, "the whole boot took \(seconds) s")
  }

  @Test func idleCoresTakeFewerThanTenTimerInterruptsPerSecond() throws {
    let run = try GuestBoot.boot("timing", append: "-- idle", smp: 2, timeout: 60)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("idle for 2 s on 2 cores"))
    let timers = run.lines.compactMap { line -> Int? in
      guard let match = line.firstMatch(of: /\[INFO\] \[\d+\]\[Timer\]: (\d+)/) else { return nil }
      return Int(match.1)
    }
    // Two seconds idle on each core: under 10 per second means under 20 each.
    #expect(timers.allSatisfy { $0 < 20 }, "\(run.output)")
  }

  @Test func floatingPointStateSurvivesPreemption() throws {
    let run = try GuestBoot.boot("timing", append: "-- fpu", timeout: 120)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("thread 0: identical bits"), "\(run.output)")
    #expect(run.output.contains("thread 1: identical bits"), "\(run.output)")
    let slices = run.lines.compactMap { line -> Int? in
      guard let match = line.firstMatch(of: /\[INFO\] \[0\]\[Timer\]: (\d+)/) else { return nil }
      return Int(match.1)
    }
    #expect((slices.first ?? 0) >= 10, "too few preemptions to mean anything: \(run.output)")
  }
}
