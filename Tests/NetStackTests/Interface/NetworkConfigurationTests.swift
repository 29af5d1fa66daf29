import Testing

@testable import NetStack

/// Static configuration from the kernel command line (`ip=`, `gateway=`, `dns=`).
@Suite struct NetworkConfigurationTests {
  @Test(
    arguments: [
      ("10.88.0.5/16", "10.88.0.1", "10.88.0.5", 16, "10.88.0.1"),
      ("192.168.1.2", nil, "192.168.1.2", 24, nil),
      ("192.168.1.2/32", "nonsense", "192.168.1.2", 32, nil),
      ("10.0.2.15/0", "10.0.2.2", "10.0.2.15", 0, "10.0.2.2"),
    ] as [(String, String?, String, Int, String?)])
  func commandLineAddressesParse(
    ip: String, gateway: String?, address: String, prefix: Int, router: String?
  ) throws {
    let configuration = try #require(NetworkConfiguration(address: ip, gateway: gateway))
    #expect(configuration.address.text == address)
    #expect(configuration.prefixLength == prefix)
    #expect(configuration.gateway?.text == router)
    #expect(configuration.dnsServers.isEmpty)
  }

  @Test(arguments: [
    "", "10.0.2", "10.0.2.15/33", "10.0.2.15/x", "/24", "10.0.2.15/-1", "10.0.2.15/",
    "10.0.2.15/024",
    "10.0.2.15/2/4",
  ])
  func badAddressesAreRefused(ip: String) {
    #expect(NetworkConfiguration(address: ip, gateway: nil) == nil)
  }

  @Test(
    arguments: [
      ("10.0.2.3", ["10.0.2.3"]), ("nonsense", []), ("10.0.2", []), ("", []),
    ] as [(String, [String])])
  func aDNSServerParsesOrIsLeftOut(dns: String, servers: [String]) throws {
    let configuration = try #require(
      NetworkConfiguration(address: "10.0.2.15/24", gateway: "10.0.2.2", dns: dns))
    #expect(configuration.dnsServers.map(\.text) == servers)
    #expect(configuration.gateway?.text == "10.0.2.2")
  }
}
