import BootFormat
import Foundation
import Testing

/// Failures must be loud: a message, where it happened, and a status that can
/// never be mistaken for success.
@Suite struct CrashTests {
  @Test func panicPrintsItsMessageAndABacktrace() throws {
    let run = try GuestBoot.boot("panic", append: "quiet")
    #expect(run.status == .panicked)
    #expect(run.output.contains("about to panic\n[0][PANIC] the app gave up\n"))
    #expect(run.output.contains("[0][PANIC] backtrace:\n[0][PANIC]   #0 0x"))
  }

  @Test func nullPointerReadIsAPageFaultAtAddressZero() throws {
    let run = try GuestBoot.boot("nullderef", append: "quiet")
    #expect(run.status == .panicked)
    #expect(run.output.contains("CPU exception 14: page fault (#PF)"))
    #expect(run.output.contains("cr2 0x8 (not present, read)"))
    #expect(run.output.contains("null pointer dereference"))
    #expect(run.output.contains("#0 0x"))
  }

  @Test func divisionByZeroIsADivideError() throws {
    let run = try GuestBoot.boot("divzero", append: "quiet")
    #expect(run.status == .panicked)
    #expect(run.output.contains("CPU exception 0: divide error (#DE)"))
    #expect(run.output.contains(" rip 0x"))
  }

  @Test func swiftRuntimeTrapIsReportedAsSuch() throws {
    let run = try GuestBoot.boot("fatal", append: "quiet")
    #expect(run.status == .panicked)
    #expect(run.output.contains("invalid opcode (#UD)"))
    #expect(run.output.contains("Swift runtime failure (trap)"))
  }

  @Test func spinningGuestIsCaughtByTheTimeout() throws {
    let run = try GuestBoot.boot("spin", append: "quiet", timeout: 3)
    #expect(run.timedOut)
    #expect(run.status != .exited(0))
    // Where it spun, from QEMU's monitor, for a test that meets a hang.
    #expect(run.output.contains("RIP="), "\(run.output)")
  }
}

/// The loader refuses bad apps with one clear line and a failure exit.
@Suite struct LoaderTests {
  func expectLoaderError(_ file: URL, _ message: String) throws {
    let run = try GuestBoot.boot(file, timeout: 30)
    #expect(run.status == .panicked, "\(run.output)")
    #expect(run.output == "[LOADER] error: \(message)\n", "\(run.output)")
  }

  @Test func corruptInitrdIsRejected() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID())")
    try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    try expectLoaderError(file, "not an ELF file (bad magic)")
  }

  @Test func hostBinaryIsRejectedAsDynamicallyLinked() throws {
    try expectLoaderError(
      URL(fileURLWithPath: "/bin/true"), "dynamically linked (has PT_INTERP); apps must be static")
  }

  @Test func wrongMachineIsRejected() throws {
    let file = try GuestBoot.patchedCopy(of: "hello") { $0.setU16(183, at: 18) }  // EM_AARCH64
    defer { try? FileManager.default.removeItem(at: file) }
    try expectLoaderError(file, "not an x86_64 ELF file")
  }

  @Test func truncatedAppIsRejected() throws {
    let file = try GuestBoot.patchedCopy(of: "hello") { $0.removeLast($0.count / 2) }
    defer { try? FileManager.default.removeItem(at: file) }
    try expectLoaderError(file, "segment lies outside the file (truncated?)")
  }

  @Test func appLargerThanRAMIsRejected() throws {
    // Grow the last PT_LOAD's memory size (its .bss) to 512 MiB.
    let file = try GuestBoot.patchedCopy(of: "hello") { bytes in
      let table = Int(bytes.u64(at: 32))
      let count = Int(bytes[56]) | Int(bytes[57]) << 8
      var last = -1
      for index in 0..<count where bytes[table + index * 56] == 1 { last = index }
      bytes.setU64(512 << 20, at: table + last * 56 + 40)
    }
    defer { try? FileManager.default.removeItem(at: file) }
    try expectLoaderError(file, "the app does not fit in RAM (give the guest more memory: -m)")
  }

  @Test func overlappingSegmentsAreRejected() throws {
    // Move the second PT_LOAD onto the first.
    let file = try GuestBoot.patchedCopy(of: "hello") { bytes in
      let table = Int(bytes.u64(at: 32))
      let count = Int(bytes[56]) | Int(bytes[57]) << 8
      let loads = (0..<count).filter { bytes[table + $0 * 56] == 1 }
      bytes.setU64(bytes.u64(at: table + loads[0] * 56 + 16), at: table + loads[1] * 56 + 16)
    }
    defer { try? FileManager.default.removeItem(at: file) }
    try expectLoaderError(file, "loadable segments overlap")
  }
}
