import Testing

@testable import NetStack

/// Static configuration from the kernel command line (`ip=`, `gateway=`).
@Suite struct NetworkConfigurationTests {
  @Test(
    arguments: [
      ("10.88.0.5/16", "10.88.0.1", "10.88.0.5", 16, "10.88.0.1"),
      ("192.168.1.2", nil, "192.168.1.2", 24, nil),
      ("192.168.1.2/32", "nonsense", "192.168.1.2", 32, nil),
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

  @Test(arguments: ["", "10.0.2", "10.0.2.15/33", "10.0.2.15/x", "/24", "10.0.2.15/-1"])
  func badAddressesAreRefused(ip: String) {
    #expect(NetworkConfiguration(address: ip, gateway: Optional<String>.none) == nil)
  }
}
