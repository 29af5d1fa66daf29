import Testing

/// Cores come up by the APIC IDs the ACPI MADT lists, beyond the old limit of 16.
@Suite struct SMPTests {
  @Test(arguments: [4, 20])
  func everyCoreComesOnline(cores: Int) throws {
    let run = try GuestBoot.boot("cores", memoryMiB: 128, smp: cores, timeout: 180)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("CPUs: \(cores)"), "\(run.output)")
    #expect(run.output.contains("cores online: \(cores)\n"), "\(run.output)")
    #expect(!run.output.contains("WARN"), "\(run.output)")
  }

  /// As many busy threads as cores: each gets a core of its own.
  @Test(arguments: [2, 4])
  func busyThreadsEachRunOnACoreOfTheirOwn(cores: Int) throws {
    let run = try GuestBoot.boot(
      "placement", append: "quiet", memoryMiB: 64, smp: cores, timeout: 180)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output == "threads: \(cores), distinct cores: \(cores)\n", "\(run.output)")
  }
}
