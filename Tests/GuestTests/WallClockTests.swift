import Foundation
import Testing

/// The wall clock (CMOS RTC, advanced by the TSC) against the host's clock:
/// QEMU's RTC follows the host's UTC time.
@Suite struct WallClockTests {
  static func seconds(_ output: String, _ label: String) throws -> Double {
    let pattern = try Regex("\(label) (\\d+\\.\\d{9})\n")
    let match = try #require(output.firstMatch(of: pattern), "\(output)")
    let text = try #require(match.output[1].substring)
    return try #require(Double(text))
  }

  @Test(arguments: [1, 2])
  func wallClockAgreesWithTheHostWithinTwoSeconds(smp: Int) throws {
    let before = Date().timeIntervalSince1970
    let run = try GuestBoot.boot("wallclock", append: "quiet", smp: smp)
    let after = Date().timeIntervalSince1970
    #expect(run.status == .exited(0), "\(run.output)")
    let first = try Self.seconds(run.output, "wall")
    let fromThread = try Self.seconds(run.output, "thread")
    let later = try Self.seconds(run.output, "after 300 ms")
    #expect(first > before - 2 && first < after + 2, "host \(before)...\(after), guest \(first)")
    #expect(abs(fromThread - first) < 1, "\(run.output)")
    #expect(later - first >= 0.3 && later - first < 2, "\(run.output)")
    #expect(later < after + 2)
  }
}
