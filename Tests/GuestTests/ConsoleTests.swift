import Foundation
import Testing

/// Output and boot state shared by threads on several cores.
@Suite struct ConsoleTests {
  /// The payload `lines/main.swift` prints on line `line` of thread `thread`.
  static func payload(_ thread: Int, _ line: Int) -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    return String((0..<40).map { letters[(thread * 7 + line * 5 + $0) % 26] })
  }

  @Test(arguments: [1, 2])
  func linesFromTwoThreadsArriveWholeAndTheCommandLineParsesOnce(smp: Int) throws {
    let run = try GuestBoot.boot(
      "lines", append: "quiet env=GREETING=hi -- a b c", smp: smp, timeout: 180)
    #expect(run.status == .exited(0), "\(run.output)")
    var expected = Set<String>()
    for thread in 0..<2 {
      expected.insert("thread \(thread) arguments a b c greeting hi")
      for line in 0..<300 {
        expected.insert("thread \(thread) line \(line) \(Self.payload(thread, line))")
      }
    }
    let lines = run.lines.filter { !$0.isEmpty }
    let done = lines.filter { $0.hasPrefix("done on cores ") }
    #expect(done.count == 1, "\(run.output)")
    let printed = lines.filter { !$0.hasPrefix("done on cores ") }
    let unexpected = printed.filter { !expected.contains($0) }
    #expect(unexpected.isEmpty, "split or garbled: \(unexpected.prefix(5))")
    #expect(printed.count == expected.count)
    #expect(Set(printed) == expected)
  }
}
