import Testing

@testable import Runtime

/// The DNS server a container's resolv.conf gives its guest (`dns=`).
@Suite struct ResolvConfTests {
  @Test(
    arguments: [
      ("nameserver 10.88.0.1\n", "10.88.0.1"),
      ("# podman\nsearch dns.podman\nnameserver\t10.89.0.1\nnameserver 1.1.1.1\n", "10.89.0.1"),
      ("nameserver 127.0.0.53\noptions edns0\nnameserver 192.168.1.1", "192.168.1.1"),
      ("nameserver fd00::1\nnameserver 9.9.9.9\n", "9.9.9.9"),
      ("nameserver 127.0.0.53\nnameserver 0127.0.0.1\n", nil),
      ("nameserver 10.0.2\nnameserver 300.1.1.1\nnameserver 1..2.3\nnameserver +1.2.3.4\n", nil),
      ("nameservers 10.0.0.1\n#nameserver 10.0.0.2\n", nil),
      ("", nil),
    ] as [(String, String?)])
  func theFirstUsableIPv4NameserverIsChosen(text: String, expected: String?) {
    #expect(ResolvConf.firstNameserver(in: text) == expected)
  }
}
