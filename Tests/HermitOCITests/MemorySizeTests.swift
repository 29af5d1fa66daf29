import TestSupport
import Testing

@testable import HermitOCI

/// The one memory parser of both tools (issue 10, items 1 and 2).
@Suite struct MemorySizeTests {
  @Test(arguments: [
    ("64", 64), ("64M", 64), ("64m", 64), ("64MB", 64), ("64MiB", 64), ("1G", 1024),
    ("2GiB", 2048), ("65536K", 64), ("65536KiB", 64), ("2048K", 2), ("3072K", 3),
    ("2", 2), ("0002", 2), ("1T", 1 << 20), ("4194304B", 4), ("4194304b", 4),
  ])
  func sizesParseToMiB(text: String, mib: Int) throws {
    #expect(try MemorySize.parseMiB(text) == mib)
  }

  @Test(arguments: [
    "", "M", "-1", "0", "0M", "12X", "512K", "64 M", " 64", "64iB", "iB", "B", "1.5G", "+64",
    "0x40", "６４", "64MM",
  ])
  func nonsenseIsRefused(text: String) {
    #expect(throws: HermitOCIError.self) { try MemorySize.parseMiB(text) }
  }

  @Test(arguments: ["1", "1M", "1024K", "1048576B", "1500K"])
  func sizesBelowTheBootMinimumAreRefusedNamingIt(text: String) {
    #expect {
      try MemorySize.parseMiB(text)
    } throws: { error in
      "\(error)".contains("minimum of 2M") || "\(error)".contains("whole number of MiB")
    }
  }

  @Test func partialMebibytesAreRefusedNotTruncated() {
    #expect(
      throws: HermitOCIError.invalidArgument("memory size \"1500K\" is not a whole number of MiB")
    ) {
      try MemorySize.parseMiB("1500K")
    }
  }

  @Test(arguments: [
    "99999999999999999G", "9223372036854775807", "9223372036854775808M",
    "99999999999999999999999999999999999999G", "2T", "1048577", "18014398509481984G",
  ])
  func hugeSizesAreRefusedWithoutTrapping(text: String) {
    #expect {
      try MemorySize.parseMiB(text)
    } throws: { error in
      "\(error)".contains("above the maximum of 1T")
    }
  }

  @Test func messagesEscapeControlCharacters() {
    #expect {
      try MemorySize.parseMiB("\u{1b}[31m64")
    } throws: { error in
      !"\(error)".contains("\u{1b}") && "\(error)".contains("\\u{1b}[31m64")
    }
  }

  @Test func limitsInBytesRoundDownToWholeMebibytes() throws {
    #expect(try MemorySize.mebibytes(limitBytes: nil) == nil)
    #expect(try MemorySize.mebibytes(limitBytes: -1) == nil)
    #expect(try MemorySize.mebibytes(limitBytes: 32 << 20) == 32)
    #expect(try MemorySize.mebibytes(limitBytes: (32 << 20) + 5) == 32)
    #expect(try MemorySize.mebibytes(limitBytes: .max) == MemorySize.maximumMiB)
    #expect(throws: HermitOCIError.self) { try MemorySize.mebibytes(limitBytes: 1 << 20) }
  }

  /// Random text up to 40 characters, numbers of every length included: the parser
  /// never traps, and what it accepts is in range and reads back the same.
  @Test func fuzzedSizesAreInRangeOrRefused() {
    var generator = SplitMix64(state: 10)
    let alphabet = Array("0123456789012345678901234567890123456789kKmMgGtTiIbB -.+x\u{1b}")
    for _ in 0..<40_000 {
      let length = Int.random(in: 0...40, using: &generator)
      let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
      do {
        let mib = try MemorySize.parseMiB(text)
        #expect((MemorySize.minimumMiB...MemorySize.maximumMiB).contains(mib), "\(text) -> \(mib)")
        #expect((try? MemorySize.parseMiB("\(mib)M")) == mib, "\(text) -> \(mib)")
      } catch {
        #expect(!"\(error)".contains("\n") && !"\(error)".contains("\u{1b}"), "\(text)")
      }
    }
  }
}
