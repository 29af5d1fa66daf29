import Testing

/// Interrupts the kernel does not expect are counted and ignored, not fatal.
@Suite struct InterruptTests {
  @Test func spuriousPICInterruptsAreCountedAndIgnored() throws {
    let run = try GuestBoot.boot("spuriousirq", append: "quiet", timeout: 60)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output == "spurious PIC interrupts: 3\nstill running\n", "\(run.output)")
  }
}
