import Testing

@testable import NetStack

@Suite struct ChecksumTests {
  /// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
  @Test func rfc1071ExampleSumsToDDF2() {
    let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
    #expect(InternetChecksum.finish(InternetChecksum.add(bytes, 0..<8)) == ~UInt16(0xddf2))
  }

  @Test func oddTrailingByteIsPaddedWithZero() {
    let bytes: [UInt8] = [0x12, 0x34, 0x56]
    #expect(InternetChecksum.finish(InternetChecksum.add(bytes, 0..<3)) == ~UInt16(0x1234 + 0x5600))
  }

  @Test func capturedIPv4HeaderVerifies() {
    Slirp.echoRequest.withUnsafeBytes { bytes in
      let packet = IPv4Packet(bytes.netSlice(14..<bytes.count))
      #expect(packet?.isChecksumValid == true)
    }
  }
}
