import TestSupport
import Testing

@testable import HermitQEMU

/// Random inputs for the CLI parsers: they never crash, and what they accept
/// renders back to something they parse to the same value.
@Suite struct ParserFuzzTests {
  func randomString(_ alphabet: [Character], _ generator: inout SplitMix64) -> String {
    let length = Int.random(in: 0...14, using: &generator)
    return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
  }

  @Test func portMappingsRoundTripOrAreRefused() {
    var generator = SplitMix64(state: 42)
    let alphabet = Array("0123456789:./tcpudTCPx- 6553")
    for _ in 0..<20_000 {
      let text = randomString(alphabet, &generator)
      guard let mapping = try? PortMapping(parsing: text) else { continue }
      let rendered =
        (mapping.hostAddress.isEmpty ? "" : mapping.hostAddress + ":")
        + "\(mapping.hostPort):\(mapping.guestPort)/\(mapping.proto.rawValue)"
      #expect((try? PortMapping(parsing: rendered)) == mapping, "\(text) -> \(rendered)")
      #expect((1...65535).contains(mapping.hostPort) && (1...65535).contains(mapping.guestPort))
    }
  }
}
