import BootFormat
import Foundation
import Testing

/// A guest with too little memory says so and fails; it never hangs (issue 10,
/// item 1). Below 2 MiB QEMU loads the loader into no RAM at all, so both tools
/// refuse such sizes before QEMU starts (MemorySize.minimumMiB).
@Suite struct MemoryLimitTests {
  @Test func helloBootsWithTheMinimumOfTwoMebibytes() throws {
    let run = try GuestBoot.boot("hello", append: "quiet", memoryMiB: 2, timeout: 60)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("Hello World!"))
  }

  @Test func runningOutOfHeapIsAPanicThatSaysWhy() throws {
    let run = try GuestBoot.boot("heapstress", append: "quiet", memoryMiB: 2, timeout: 60)
    #expect(!run.timedOut)
    #expect(run.status == .panicked, "\(run.output)")
    #expect(run.output.contains("[PANIC] heap: out of memory allocating "), "\(run.output)")
    #expect(run.output.contains("give the guest more memory (--memory)"))
  }
}
