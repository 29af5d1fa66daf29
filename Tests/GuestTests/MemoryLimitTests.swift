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

  @Test func emptiedSlabsGoBackForALargeAllocation() throws {
    let run = try GuestBoot.boot("heapreuse", append: "quiet", memoryMiB: 32, timeout: 120)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("small arrays: 120000"), "\(run.output)")
    #expect(run.output.contains("large array: 14680064 bytes, last 2"), "\(run.output)")
  }

  /// QEMU puts RAM beyond its below-4G limit at 4 GiB (microvm: 3 GiB below).
  @Test func theHeapSpansRAMAboveFourGibibytes() throws {
    let run = try GuestBoot.boot("heapsize", append: "quiet", memoryMiB: 6144, timeout: 120)
    #expect(run.status == .exited(0), "\(run.output)")
    let heap = try #require(run.output.firstMatch(of: /heap KiB: (\d+)/), "\(run.output)")
    #expect(Int(heap.1)! >= 5_632 * 1024, "\(run.output)")
    #expect(run.output.contains("64 MiB block: last 9"), "\(run.output)")
  }
}
