import Testing

@testable import NetStack

@Suite struct IPv4AddressTests {
  @Test(arguments: [
    ("10.0.2.15", IPv4Address(10, 0, 2, 15)),
    ("0.0.0.0", IPv4Address(0, 0, 0, 0)),
    ("255.255.255.255", IPv4Address(255, 255, 255, 255)),
    ("001.02.3.4", IPv4Address(1, 2, 3, 4)),
  ])
  func parsesDottedQuad(text: String, expected: IPv4Address) {
    #expect(IPv4Address(parsing: text) == expected)
  }

  @Test(arguments: [
    "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "1.2.3.", " 1.2.3.4", "a.b.c.d", "1.2.3.0004",
  ])
  func rejectsMalformedText(text: String) {
    #expect(IPv4Address(parsing: text) == nil)
  }

  @Test func printsDottedQuad() {
    #expect(IPv4Address(10, 0, 2, 15).text == "10.0.2.15")
    #expect(IPv4Address(10, 0, 2, 15).value == 0x0a00_020f)
    #expect(IPv4Address(255, 100, 99, 0).text == "255.100.99.0")
    #expect(IPv4Address(0, 9, 10, 109).text == "0.9.10.109")
  }

  @Test func printedTextParsesBackForEveryOctet() {
    for octet in 0...255 {
      let byte = UInt8(octet)
      let address = IPv4Address(byte, 255 - byte, byte / 2, 1)
      #expect(IPv4Address(parsing: address.text) == address, "\(address.text)")
    }
  }

  @Test func macAddressPrintsLowercaseHex() {
    #expect(Slirp.gatewayMAC.text == "52:55:0a:00:02:02")
  }

  @Test func subnetBroadcastOfSlashTwentyFour() {
    #expect(Slirp.configuration.subnetBroadcast == IPv4Address(10, 0, 2, 255))
  }
}
