import Foundation
import TestSupport
import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// Listening sockets from procfs, which `run -d` waits for (StartReport): parsed
/// from literal tables, and read back for a listener of this process.
@Suite struct ListeningPortsTests {
  static let header =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

  @Test func aListenerIsFoundAndAConnectionOnTheSamePortIsNot() {
    let table =
      Self.header
      + "   0: 00000000:46A2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5741 1 00000000acca9a33 100 0 0 10 0\n"
      + "   1: 0100007F:46A2 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 5742 1 00000000bcca9a33 20 4 30 10 -1\n"
      + "   2: 0100007F:C350 0100007F:46A2 06 00000000:00000000 03:00000EAB 00000000     0        0 0 3 00000000ccca9a33\n"
    #expect(ListeningPorts.parse(table: table) == [.init(port: 18082, inode: 5741)])
  }

  @Test func anIPv6ListenerIsFound() {
    let table =
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      + "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8812 1 0000000000000000 100 0 0 10 0\n"
    #expect(ListeningPorts.parse(table: table) == [.init(port: 8080, inode: 8812)])
  }

  @Test(arguments: [
    "", header, header + "   0: garbage\n", header + "   0: 0:0 0:0 0A a b c d e f\n",
  ])
  func aTableWithoutListenersGivesNone(table: String) {
    #expect(ListeningPorts.parse(table: table).isEmpty)
  }

  @Test func thisProcesssListenerIsItsOwnUntilClosed() throws {
    let (fd, port) = try Loopback.listen()
    #expect(ListeningPorts.tcp(of: getpid()).contains(port))
    close(fd)
    #expect(!ListeningPorts.tcp(of: getpid()).contains(port))
  }

  @Test func anotherProcesssListenerIsNotOurs() throws {
    let (fd, port) = try Loopback.listen()
    defer { close(fd) }
    // pid 1 shares the network namespace here but holds none of our descriptors.
    let theirs = ListeningPorts.tcp(of: 1)
    #expect(!theirs.contains(port) || ListeningPorts.socketInodes(of: 1) == nil)
  }
}
