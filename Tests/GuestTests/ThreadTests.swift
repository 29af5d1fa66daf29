import BootFormat
import Foundation
import Testing

/// Threads, locks, condition variables, sleeping and SMP, each a guest app
/// booted under TCG (multi-threaded TCG for -smp 2) and judged by its output.
@Suite struct ThreadTests {
  @Test(arguments: [1, 2])
  func spawnedThreadsReturnTheirResultsToJoin(smp: Int) throws {
    let run = try GuestBoot.boot("threads", append: "quiet", smp: smp)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(
      run.output == """
        thread 1: 500500 expected 500500
        thread 2: 2001000 expected 2001000
        thread 3: 4501500 expected 4501500
        thread 4: 8002000 expected 8002000
        20 threads: 2470
        main is thread 0

        """)
  }

  @Test(arguments: [1, 2])
  func mutexKeepsEveryIncrementOfFourThreads(smp: Int) throws {
    let run = try GuestBoot.boot("mutex", append: "quiet", smp: smp, timeout: 180)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output == "counter: 400000\n")
  }

  @Test(arguments: [1, 2])
  func conditionCarriesEveryItemFromProducerToConsumer(smp: Int) throws {
    let run = try GuestBoot.boot("condition", append: "quiet", smp: smp, timeout: 120)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(
      run.output == """
        received 2000 items, sum 1999000, in order: true, overflow: false
        broadcast woke 3

        """)
  }

  @Test func sleepLastsAtLeastWhatWasAskedByTheClock() throws {
    let run = try GuestBoot.boot("sleep", append: "quiet")
    #expect(run.status == .exited(0), "\(run.output)")
    let main = try #require(run.output.firstMatch(of: /slept (\d+) ms/), "\(run.output)")
    #expect((50..<5000).contains(Int(main.1)!))
    let thread = try #require(run.output.firstMatch(of: /thread slept (\d+) ms/))
    #expect((30..<5000).contains(Int(thread.1)!))
    #expect(run.output.contains("monotonic: true"))
  }

  @Test func twoBusyThreadsRunOnBothCores() throws {
    let run = try GuestBoot.boot("cores", append: "quiet", smp: 2)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("cores online: 2\n"))
    #expect(run.output.contains("threads ran on cores: 0 1\n"))
  }

  @Test func piOnTwoCoresPrintsPiAndBothCoresInterrupts() throws {
    let run = try GuestBoot.boot("pi", smp: 2, timeout: 180)
    #expect(run.status == .exited(0), "\(run.output)")
    let lines = run.lines
    let time = try #require(
      lines.first { $0.hasPrefix("Time to calculate (local sum): ") }, "\(run.output)")
    #expect(Double(time.dropFirst("Time to calculate (local sum): ".count)) != nil)
    let piLine = try #require(lines.first { $0.hasPrefix("Pi: ") })
    let pi = try #require(Double(piLine.dropFirst(4)))
    #expect(abs(pi - 3.14159265358979) < 1e-6)
    let header = try #require(lines.firstIndex { $0.hasSuffix("[INFO] Number of interrupts") })
    let counters = lines[(header + 1)...].filter {
      $0.wholeMatch(of: /\[\d+\]\[INFO\] \[\d+\]\[\w+\]: [1-9]\d*/) != nil
    }
    #expect(counters.contains { $0.contains("[INFO] [0][Timer]: ") })
    #expect(counters.contains { $0.contains("[INFO] [1][Timer]: ") })
    #expect(lines.contains { $0.contains("CPUs: 2") })
  }

  @Test(arguments: [1, 2])
  func threadStackOverflowHitsTheGuardPage(smp: Int) throws {
    let run = try GuestBoot.boot("stackoverflow", append: "quiet", smp: smp)
    #expect(run.status == .panicked, "\(run.output)")
    // Which core the thread overflows on is up to the scheduler.
    #expect(run.output.contains(/\[[01]\]\[PANIC\] CPU exception 14/), "\(run.output)")
    #expect(run.output.contains("about to overflow a thread's stack\n"))
    #expect(run.output.contains("page fault (#PF)"))
    #expect(run.output.contains("thread stack overflow (guard page)"))
    #expect(!run.output.contains("unreachable"))
  }

  @Test func appWithoutThreadsBootsTheSameOnTwoCores() throws {
    let run = try GuestBoot.boot("hello", append: "quiet", smp: 2)
    #expect(run.status == .exited(0))
    #expect(run.output == "Hello World!\n")
  }
}
