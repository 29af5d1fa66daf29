import BootFormat
import Foundation
import Testing

/// Memory protection and core set-up that the kernel must get right on every
/// core: W^X binds ring 0 (CR0.WP), data never runs (NX), every core runs with
/// core 0's control registers, and start-up stacks have guard pages.
@Suite struct ProtectionTests {
  /// (argument, what the app prints before the fault, the fault's kind)
  static let violations = [
    ("text", "writing", "(protection, write)"),
    ("rodata", "writing", "(protection, write)"),
    ("heap", "calling", "(protection, read, instruction fetch)"),
    ("stack", "calling", "(protection, read, instruction fetch)"),
  ]

  @Test(arguments: violations)
  func violationIsAPageFaultNamingTheAddress(
    _ violation: (argument: String, action: String, kind: String)
  ) throws {
    let run = try GuestBoot.boot("protection", append: "quiet -- \(violation.argument)")
    #expect(run.status == .panicked, "\(run.output)")
    let address = try #require(
      run.output.firstMatch(of: try Regex("\(violation.action) (0x[0-9a-f]+)\n")), "\(run.output)")
    let printed = try #require(address.output[1].substring)
    #expect(run.output.contains("CPU exception 14: page fault (#PF)"), "\(run.output)")
    #expect(run.output.contains("cr2 \(printed) \(violation.kind)"), "\(run.output)")
    #expect(!run.output.contains("unreachable"))
  }

  @Test func everyCoreRunsWithCoreZerosControlRegisters() throws {
    let run = try GuestBoot.boot("controlregs", append: "quiet", smp: 2)
    #expect(run.status == .exited(0), "\(run.output)")
    let cores = run.output.matches(of: /core (\d) cr0 (0x[0-9a-f]+) cr4 (0x[0-9a-f]+)\n/)
    #expect(cores.map { Int($0.output.1)! } == [0, 1], "\(run.output)")
    let cr0 = try #require(cores.first.flatMap { UInt64($0.output.2.dropFirst(2), radix: 16) })
    #expect(cores.allSatisfy { $0.output.2 == cores[0].output.2 }, "\(run.output)")
    #expect(cores.allSatisfy { $0.output.3 == cores[0].output.3 }, "\(run.output)")
    // SDM vol. 3 §2.5: PE, MP, NE, WP, PG set; EM, TS, NW, CD clear.
    let required: UInt64 = 1 << 0 | 1 << 1 | 1 << 5 | 1 << 16 | 1 << 31
    let forbidden: UInt64 = 1 << 2 | 1 << 3 | 1 << 29 | 1 << 30
    #expect(cr0 & required == required, "cr0 \(String(cr0, radix: 16))")
    #expect(cr0 & forbidden == 0, "cr0 \(String(cr0, radix: 16))")
  }

  @Test func secondaryCoreStackHasAGuardPage() throws {
    let run = try GuestBoot.boot("corestackguard", append: "quiet", smp: 2)
    #expect(run.status == .panicked, "\(run.output)")
    let guardLine = try #require(
      run.output.firstMatch(of: /core 1 stack guard 0x([0-9a-f]+)\n/), "\(run.output)")
    let guardPage = try #require(UInt64(guardLine.output.1, radix: 16))
    #expect(guardPage != 0 && guardPage % 4096 == 0)
    #expect(run.output.contains("stack bottom readable: true\n"))
    let lastByte = String(guardPage + 4095, radix: 16)
    #expect(run.output.contains("cr2 0x\(lastByte) (not present, read)"), "\(run.output)")
    #expect(run.output.contains("kernel stack overflow (guard page)"), "\(run.output)")
    #expect(!run.output.contains("thread stack overflow"), "\(run.output)")
    #expect(!run.output.contains("unreachable"))
  }
}
