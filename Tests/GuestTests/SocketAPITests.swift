import Foundation
import HermitQEMU
import Testing

/// The socket API a server needs (issue 20, item 4), over loopback in one guest
/// under TCG: Tests/Guests/sockets checks each call and prints a line per check.
@Suite struct SocketAPITests {
  @Test func pollerPortZeroAddressesHalfCloseListenerCloseAndHugeTimeouts() throws {
    let run = try GuestBoot.boot("sockets", network: .user(ports: []), timeout: 120)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("all socket checks passed"), "\(run.output)")
    #expect(!run.output.contains("FAILED"), "\(run.output)")
    #expect(run.lines.filter { $0.hasPrefix("ok: ") }.count == 12, "\(run.output)")
  }
}
