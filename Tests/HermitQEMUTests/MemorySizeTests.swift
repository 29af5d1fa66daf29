import Testing

@testable import HermitQEMU

@Suite struct MemorySizeTests {
  @Test(arguments: [
    ("64", 64), ("64M", 64), ("64m", 64), ("64MB", 64), ("64MiB", 64), ("1G", 1024), ("2GiB", 2048),
    ("65536K", 64), ("65536KiB", 64),
  ])
  func sizesParseToMiB(text: String, mib: Int) throws {
    #expect(try MemorySize.parseMiB(text) == mib)
  }

  @Test(arguments: ["", "M", "-1", "0", "12X", "1T", "512K", "64 M"])
  func nonsenseIsRefused(text: String) {
    #expect(throws: HermitQEMUError.self) { try MemorySize.parseMiB(text) }
  }
}
