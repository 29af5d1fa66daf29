import BootFormat
import Foundation
import Testing

/// Boots of the seed's hello world and the kernel's basic promises, each a real
/// QEMU (TCG) run judged by its serial output and exit status.
@Suite struct BootTests {
  @Test func helloPrintsTheSeedLinesInOrder() throws {
    let run = try GuestBoot.boot("hello")
    #expect(run.status == .exited(0), "\(run.output)")
    let lines = run.lines.filter { !$0.isEmpty }
    #expect(lines.first?.hasPrefix("[0][INFO] ") == true)
    #expect(lines.first?.contains("is running on common system!") == true)
    let hello = try #require(lines.firstIndex(of: "Hello World!"), "\(run.output)")
    let header = try #require(lines.firstIndex(of: "[0][INFO] Number of interrupts"))
    #expect(hello < header)
    // Only counters that are not zero, named where the vector has a name; hello
    // may end before the first timer tick, so there may be none.
    let counters = lines[(header + 1)...].prefix { $0.hasPrefix("[0][INFO] [") }
    for line in counters {
      #expect(line.wholeMatch(of: /\[0\]\[INFO\] \[\d+\]\[\w+\]: [1-9]\d*/) != nil, "\(line)")
    }
    #expect(lines.last == "[0][INFO] Shutting down system")
    #expect(lines[..<hello].contains { $0.contains("boot to main:") && $0.hasSuffix(" us") })
  }

  @Test func quietModeKeepsOnlyTheAppsOutput() throws {
    let run = try GuestBoot.boot("hello", append: "quiet")
    #expect(run.status == .exited(0))
    #expect(run.output == "Hello World!\n")
  }

  @Test(arguments: [0, 1, 42, 127, 128, 200, 255])
  func exitCodeReachesTheHostExactly(code: Int) throws {
    let run = try GuestBoot.boot("exit", append: "quiet -- \(code)")
    #expect(run.status == .exited(UInt8(code)), "\(run.output)")
    #expect(run.qemuStatus == Int32((code & 0x7f) << 1 | 1))
  }

  @Test func seedCommandLineWithoutStatusChannelStillCarriesSmallCodes() throws {
    let run = try GuestBoot.boot(
      GuestBoot.app("exit"), append: "quiet -- 42", statusChannel: false)
    #expect(run.qemuStatus == 42 << 1 | 1)
  }

  @Test func argumentsAndEnvironmentReachTheApp() throws {
    let run = try GuestBoot.boot(
      "args",
      append: KernelCommandLine.encode(
        KernelOptions(quiet: true, environment: ["GREETING=hello world", "EMPTY="], name: "demo"),
        arguments: ["one", "two words", "quote\"d", "back\\slash", ""]))
    #expect(run.status == .exited(0))
    #expect(
      run.output == """
        arg[0]=demo
        arg[1]=one
        arg[2]=two words
        arg[3]=quote"d
        arg[4]=back\\slash
        arg[5]=
        env GREETING=hello world
        env EMPTY=
        GREETING is hello world

        """)
  }

  @Test(arguments: [2, 4, 32, 1024])
  func helloBootsWithMemory(mebibytes: Int) throws {
    let run = try GuestBoot.boot("hello", append: "quiet", memoryMiB: mebibytes)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output == "Hello World!\n")
  }

  @Test func heapGivesBackWhatWasFreed() throws {
    let run = try GuestBoot.boot("heapstress", append: "quiet", memoryMiB: 256, timeout: 180)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("heap stress passed"))
    let allocated = try #require(run.output.firstMatch(of: /allocated and freed (\d+) MB/))
    #expect(Int(allocated.1)! >= 100)
  }
}
