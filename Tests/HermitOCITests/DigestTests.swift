import Foundation
import Testing

@testable import HermitOCI

/// SHA-256 from libcrypto against FIPS 180-2's test vectors, whole and streamed.
@Suite struct DigestTests {
  @Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
  ])
  func knownAnswers(message: String, hex: String) {
    #expect(Digest.sha256(Data(message.utf8)).hex == hex)
  }

  @Test func aMillionAsInUnevenPiecesIsTheStandardsDigest() {
    let hasher = DigestHasher()
    var left = 1_000_000
    var size = 1
    while left > 0 {
      let piece = [UInt8](repeating: 0x61, count: min(size, left))
      piece.withUnsafeBytes { hasher.update($0) }
      left -= piece.count
      size = size * 3 + 1
    }
    #expect(hasher.count == 1_000_000)
    #expect(
      hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }
}
