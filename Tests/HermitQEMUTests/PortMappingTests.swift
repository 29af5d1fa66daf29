import TestSupport
import Testing

@testable import HermitQEMU

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct PortMappingTests {
  @Test(arguments: [
    ("8080:80", PortMapping(hostPort: 8080, guestPort: 80)),
    ("127.0.0.1:8080:80", PortMapping(hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 80)),
    ("53:53/udp", PortMapping(hostPort: 53, guestPort: 53, proto: .udp)),
    ("0.0.0.0:1:65535/TCP", PortMapping(hostAddress: "0.0.0.0", hostPort: 1, guestPort: 65535)),
  ])
  func validMappingsParse(spec: String, expected: PortMapping) throws {
    #expect(try PortMapping(parsing: spec) == expected)
  }

  @Test(arguments: [
    "80", "a:80", "80:b", "0:80", "80:70000", "1.2.3:80:80", "80:80/sctp", "1:2:3:4", "",
  ])
  func invalidMappingsAreRefused(spec: String) {
    #expect(throws: HermitQEMUError.self) { try PortMapping(parsing: spec) }
  }

  @Test func mappingsRenderLikeDocker() throws {
    #expect(try PortMapping(parsing: "8080:80").description == "0.0.0.0:8080->80/tcp")
    #expect(
      try PortMapping(parsing: "127.0.0.1:53:53/udp").hostfwd == "hostfwd=udp:127.0.0.1:53-:53")
  }

  @Test func aPortWithAListenerIsReportedBusyByNumber() throws {
    let (fd, port) = try Loopback.listen()
    defer { close(fd) }
    let mapping = PortMapping(hostAddress: "127.0.0.1", hostPort: port, guestPort: 80)
    #expect(throws: HermitQEMUError.portInUse(address: "127.0.0.1", port: port, proto: "tcp")) {
      try mapping.checkAvailable()
    }
    let error = HermitQEMUError.portInUse(address: "127.0.0.1", port: port, proto: "tcp")
    #expect(error.description.contains("\(port)"))
  }

  @Test func aFreePortPassesTheCheck() throws {
    let (fd, port) = try Loopback.listen()
    close(fd)  // now free
    try PortMapping(hostAddress: "127.0.0.1", hostPort: port, guestPort: 80).checkAvailable()
  }
}
