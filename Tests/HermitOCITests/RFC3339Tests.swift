import Foundation
import HermitOCI
import Testing

@Suite struct RFC3339Tests {
  @Test(arguments: [
    (0, "1970-01-01T00:00:00Z"),
    (951_782_400, "2000-02-29T00:00:00Z"),
    (1_796_027_255, "2026-11-30T08:27:35Z"),
    (4_102_444_799, "2099-12-31T23:59:59Z"),
  ])
  func secondsAreFormattedInUTC(seconds: Int, expected: String) {
    #expect(RFC3339.string(seconds: seconds) == expected)
  }

  @Test(arguments: [0, 951_782_400, 1_796_027_255, 4_102_444_799])
  func whatIsWrittenIsReadBack(seconds: Int) {
    #expect(RFC3339.seconds(RFC3339.string(seconds: seconds)) == seconds)
  }

  @Test(arguments: [
    "", "2026-11-30T08:27:35", "2026-11-30 08:27:35Z", "2026-11-30T08:27:35.5Z",
    "2026-13-30T08:27:35Z", "2026-11-30T24:00:00Z", "2026-1x-30T08:27:35Z",
    "2026-11-30T08:27:35+01:00",
  ])
  func otherFormsAreNotRead(text: String) {
    #expect(RFC3339.seconds(text) == nil)
  }

  @Test func fractionsOfASecondAreDropped() {
    #expect(RFC3339.string(Date(timeIntervalSince1970: 59.999)) == "1970-01-01T00:00:59Z")
  }

  @Test func foundationsISO8601DecoderReadsItBack() throws {
    let date = Date(timeIntervalSince1970: 1_796_027_255)
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    let json = Data("[\"\(RFC3339.string(date))\"]".utf8)
    #expect(try decoder.decode([Date].self, from: json) == [date])
  }
}
