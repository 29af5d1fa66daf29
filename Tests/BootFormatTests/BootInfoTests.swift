import BootFormat
import Testing

@Suite struct BootInfoTests {
  /// The fields in the order BootInfo.swift declares them; the loader (NASM and
  /// Swift) and the kernel read them at these byte offsets.
  static let fieldOffsets: [(field: String, offset: Int?, expected: Int)] = [
    ("magic", MemoryLayout<BootInfo>.offset(of: \.magic), 0),
    ("version", MemoryLayout<BootInfo>.offset(of: \.version), 8),
    ("memoryRegions", MemoryLayout<BootInfo>.offset(of: \.memoryRegions), 16),
    ("memoryRegionCount", MemoryLayout<BootInfo>.offset(of: \.memoryRegionCount), 24),
    ("commandLine", MemoryLayout<BootInfo>.offset(of: \.commandLine), 32),
    ("commandLineLength", MemoryLayout<BootInfo>.offset(of: \.commandLineLength), 40),
    ("appStart", MemoryLayout<BootInfo>.offset(of: \.appStart), 48),
    ("appEnd", MemoryLayout<BootInfo>.offset(of: \.appEnd), 56),
    ("appBias", MemoryLayout<BootInfo>.offset(of: \.appBias), 64),
    ("appFileStart", MemoryLayout<BootInfo>.offset(of: \.appFileStart), 72),
    ("appFileEnd", MemoryLayout<BootInfo>.offset(of: \.appFileEnd), 80),
    ("freeStart", MemoryLayout<BootInfo>.offset(of: \.freeStart), 88),
    ("serialPort", MemoryLayout<BootInfo>.offset(of: \.serialPort), 96),
    ("cpuCount", MemoryLayout<BootInfo>.offset(of: \.cpuCount), 104),
    ("loaderEntryTSC", MemoryLayout<BootInfo>.offset(of: \.loaderEntryTSC), 112),
    ("bootProtocol", MemoryLayout<BootInfo>.offset(of: \.bootProtocol), 120),
  ]

  @Test func bootInfoIsSixteenPackedWords() {
    #expect(MemoryLayout<BootInfo>.size == 16 * 8)
    #expect(MemoryLayout<BootInfo>.stride == 16 * 8)
    #expect(MemoryLayout<BootInfo>.alignment == 8)
  }

  @Test(arguments: fieldOffsets)
  func fieldLiesAtItsDocumentedOffset(field: String, offset: Int?, expected: Int) {
    #expect(offset == expected, "BootInfo.\(field)")
  }

  @Test func magicIsHERMIT01InLittleEndian() {
    let bytes = withUnsafeBytes(of: BootInfo.magicValue.littleEndian) { Array($0) }
    #expect(bytes == Array("HERMIT01".utf8))
    #expect(BootInfo.magicValue == 0x3130_5449_4d52_4548)
  }

  @Test func newBootInfoCarriesMagicVersionAndDefaults() {
    let info = BootInfo()
    #expect(info.magic == BootInfo.magicValue)
    #expect(info.version == BootInfo.currentVersion)
    #expect(info.version == 1)
    #expect(info.serialPort == 0x3f8)
    #expect(info.cpuCount == 1)
    #expect(info.bootProtocol == 1)
    #expect(info.memoryRegions == 0 && info.memoryRegionCount == 0)
    #expect(info.commandLine == 0 && info.commandLineLength == 0)
    #expect(info.appStart == 0 && info.appEnd == 0 && info.appBias == 0)
    #expect(info.appFileStart == 0 && info.appFileEnd == 0 && info.freeStart == 0)
    #expect(info.loaderEntryTSC == 0)
  }

  @Test func bootInfoReadsFromWordsWrittenInDeclarationOrder() {
    // What the kernel sees when the loader filled the struct as 16 UInt64 words.
    let words: [UInt64] = [
      BootInfo.magicValue, 1, 0x10_8000, 3, 0x10_9000, 42, 0x40_0000, 0x45_3000,
      0x3f_f000, 0x20_0000, 0x21_3620, 0x46_0000, 0x3f8, 2, 0x1234_5678_9abc, 2,
    ]
    let info = words.withUnsafeBytes { $0.load(as: BootInfo.self) }
    #expect(info.magic == BootInfo.magicValue)
    #expect(info.version == 1)
    #expect(info.memoryRegions == 0x10_8000)
    #expect(info.memoryRegionCount == 3)
    #expect(info.commandLine == 0x10_9000)
    #expect(info.commandLineLength == 42)
    #expect(info.appStart == 0x40_0000)
    #expect(info.appEnd == 0x45_3000)
    #expect(info.appBias == 0x3f_f000)
    #expect(info.appFileStart == 0x20_0000)
    #expect(info.appFileEnd == 0x21_3620)
    #expect(info.freeStart == 0x46_0000)
    #expect(info.serialPort == 0x3f8)
    #expect(info.cpuCount == 2)
    #expect(info.loaderEntryTSC == 0x1234_5678_9abc)
    #expect(info.bootProtocol == 2)
  }

  @Test func memoryRegionIsStartThenEnd() {
    #expect(MemoryLayout<MemoryRegion>.size == 16)
    #expect(MemoryLayout<MemoryRegion>.stride == 16)
    #expect(MemoryLayout<MemoryRegion>.offset(of: \.start) == 0)
    #expect(MemoryLayout<MemoryRegion>.offset(of: \.end) == 8)
    let regions: [UInt64] = [0x10_0000, 0x400_0000, 0x1_0000_0000, 0x1_4000_0000]
    let table = regions.withUnsafeBytes { bytes in
      [0, 16].map { bytes.load(fromByteOffset: $0, as: MemoryRegion.self) }
    }
    #expect(
      table == [
        MemoryRegion(start: 0x10_0000, end: 0x400_0000),
        MemoryRegion(start: 0x1_0000_0000, end: 0x1_4000_0000),
      ])
  }
}
