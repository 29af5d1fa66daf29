import BootFormat
import Foundation
import Testing

/// What `validate()` and `load(span:into:loadAddress:)` made of a file.
struct LoadedImage {
  var span: ELFSpan
  var entry: UInt64
  /// The image as loaded: `span.size` bytes, byte 0 at `loadAddress`.
  var memory: [UInt8]

  /// The little-endian word at link-time address `address`.
  func word(at address: UInt64) -> UInt64 {
    memory.load(at: Int(address - span.low))
  }
}

/// Validates `bytes` and, if that succeeds, loads them at `loadAddress` (the span's
/// low end, i.e. the link address, when nil) into a buffer of `span.size` bytes
/// that starts out filled with `fill`, the way the fuzzer and the loader call it.
func validateAndLoad(
  _ bytes: [UInt8], at loadAddress: UInt64? = nil, fill: UInt8 = 0xee
) throws(ELFError) -> LoadedImage {
  // A heap copy of exactly the file's size (at least one byte, so that an empty
  // file still has an address), as the loader sees a Multiboot module.
  let file = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
  defer { file.deallocate() }
  bytes.withUnsafeBytes {
    file.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(file), byteCount: $0.count)
  }
  let elf = ELFFile(base: file, size: bytes.count)
  let span = try elf.validate()
  let size = Int(span.size)
  let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
  defer { memory.deallocate() }
  memory.initializeMemory(as: UInt8.self, repeating: fill, count: size)
  let entry = try elf.load(span: span, into: memory, loadAddress: loadAddress ?? span.low)
  return LoadedImage(
    span: span, entry: entry, memory: [UInt8](UnsafeRawBufferPointer(start: memory, count: size)))
}

/// Ways to break a good file, each with the error it must produce.
enum BrokenELF: String, Sendable, CustomTestStringConvertible {
  case truncatedHeader, emptyFile, badMagic, class32, bigEndian, versionZero, aarch64
  case relocatableObject, coreFile
  case programHeaderEntrySize32, zeroProgramHeaders, sixtyFourProgramHeaders
  case programHeadersPastEnd, programHeadersTruncated
  case interpreter
  case fileSizeAboveMemorySize, hugeMemorySize, addressAboveUserHalf
  case offsetPastEnd, truncatedSegmentData
  case alignmentNotPowerOfTwo
  case overlappingLoads, identicalLoads
  case noLoads, onlyEmptyLoad
  case noNote, noteNameHERMIX, noteTypeTwo, noteVersionTwo, noteTooShort, noteOutsideFile
  case noteSizesHuge
  case entryAboveImage, entryBelowImage
  case executableAtOtherAddress
  case relocationEntrySize16, relocationTableOutsideImage, relocationSizeNotMultiple
  case relocationTargetAboveImage, relocationTargetBelowImage, dynamicOutsideImage
  case dynamicEndWrapsBelowImage, dynamicAtTopOfAddressSpace
  case absoluteRelocation, relRelocations

  var testDescription: String { rawValue }

  /// The file: `ELFBuilder.samplePIE()` (or `sampleExecutable()`), broken.
  var bytes: [UInt8] {
    var builder = ELFBuilder.samplePIE()
    let dynamicIndex = builder.programHeaderIndex(of: ELFFile.segmentDynamic)!
    let noteIndex = builder.programHeaderIndex(of: ELFFile.segmentNote)!
    func field(_ index: Int, _ field: Int) -> Int { ELFBuilder.programHeaderField(index, field) }
    var bytes = builder.build()
    switch self {
    case .truncatedHeader: bytes.removeLast(bytes.count - 63)
    case .emptyFile: bytes = []
    case .badMagic: bytes[1] = UInt8(ascii: "X")
    case .class32: bytes[4] = 1  // ELFCLASS32
    case .bigEndian: bytes[5] = 2  // ELFDATA2MSB
    case .versionZero: bytes[6] = 0  // EV_NONE
    case .aarch64: bytes.store(UInt16(183), at: 18)  // EM_AARCH64
    case .relocatableObject: bytes.store(UInt16(1), at: 16)  // ET_REL
    case .coreFile: bytes.store(UInt16(4), at: 16)  // ET_CORE
    case .programHeaderEntrySize32: bytes.store(UInt16(32), at: 54)
    case .zeroProgramHeaders: bytes.store(UInt16(0), at: 56)
    case .sixtyFourProgramHeaders: bytes.store(UInt16(64), at: 56)
    case .programHeadersPastEnd: bytes.store(UInt64(bytes.count), at: 32)
    case .programHeadersTruncated: bytes.store(UInt64(bytes.count - 56), at: 32)
    case .interpreter:
      builder.interpreter = Array("/lib64/ld-linux-x86-64.so.2".utf8) + [0]
      bytes = builder.build()
    case .fileSizeAboveMemorySize:
      bytes.store(UInt64(0xf), at: field(0, ProgramHeaderField.memorySize))
    case .hugeMemorySize:
      bytes.store(UInt64(1) << 40 + 1, at: field(1, ProgramHeaderField.memorySize))
    case .addressAboveUserHalf:
      bytes.store(UInt64(1) << 46 + 0x1000, at: field(1, ProgramHeaderField.virtualAddress))
    case .offsetPastEnd:
      bytes.store(UInt64(bytes.count + 1), at: field(1, ProgramHeaderField.offset))
    case .truncatedSegmentData: bytes.removeLast(1)  // the dynamic data comes last
    case .alignmentNotPowerOfTwo:
      bytes.store(UInt64(0x1800), at: field(0, ProgramHeaderField.alignment))
    case .overlappingLoads:
      bytes.store(UInt64(0x1008), at: field(1, ProgramHeaderField.virtualAddress))
    case .identicalLoads:
      bytes.store(UInt64(0x1000), at: field(1, ProgramHeaderField.virtualAddress))
    case .noLoads:
      builder.loads = []
      builder.dynamic = nil
      bytes = builder.build()
    case .onlyEmptyLoad:
      builder.loads = [.init(virtualAddress: 0x1000, bytes: [], memorySize: 0)]
      builder.dynamic = nil
      bytes = builder.build()
    case .noNote:
      builder.note = nil
      bytes = builder.build()
    case .noteNameHERMIX:
      builder.note = ELFBuilder.hermitNote(name: Array("HERMIX".utf8) + [0])
      bytes = builder.build()
    case .noteTypeTwo:
      builder.note = ELFBuilder.hermitNote(type: 2)
      bytes = builder.build()
    case .noteVersionTwo:
      builder.note = ELFBuilder.hermitNote(version: 2)
      bytes = builder.build()
    case .noteTooShort:
      // The segment ends inside the descriptor.
      bytes.store(UInt64(20 + 2), at: field(noteIndex, ProgramHeaderField.fileSize))
    case .noteOutsideFile:
      bytes.store(UInt64(bytes.count - 8), at: field(noteIndex, ProgramHeaderField.offset))
    case .noteSizesHuge:
      // namesz = 0xffff_ffff must not send the note walk off the end.
      let offset = Int(bytes.load(at: field(noteIndex, ProgramHeaderField.offset), as: UInt64.self))
      bytes.store(UInt32.max, at: offset)
    case .entryAboveImage:
      builder.entry = 0x10_0000
      bytes = builder.build()
    case .entryBelowImage:
      builder.entry = 0xfff
      bytes = builder.build()
    case .executableAtOtherAddress:
      bytes = ELFBuilder.sampleExecutable().build()
    case .relocationEntrySize16:
      builder.dynamic!.entries = [
        (ELFFile.tagRela, builder.dynamic!.relocationTableAddress),
        (ELFFile.tagRelaSize, 3 * 24), (ELFFile.tagRelaEntry, 16), (ELFFile.tagNull, 0),
      ]
      bytes = builder.build()
    case .relocationTableOutsideImage:
      builder.dynamic!.entries = [
        (ELFFile.tagRela, 0x10_0000), (ELFFile.tagRelaSize, 3 * 24),
        (ELFFile.tagRelaEntry, 24), (ELFFile.tagNull, 0),
      ]
      bytes = builder.build()
    case .relocationSizeNotMultiple:
      builder.dynamic!.entries = [
        (ELFFile.tagRela, builder.dynamic!.relocationTableAddress), (ELFFile.tagRelaSize, 50),
        (ELFFile.tagRelaEntry, 24), (ELFFile.tagNull, 0),
      ]
      bytes = builder.build()
    case .relocationTargetAboveImage:
      builder.dynamic!.relocations[1].offset = 0x9000 - 7  // span ends at 0x9000
      bytes = builder.build()
    case .relocationTargetBelowImage:
      builder.dynamic!.relocations[2].offset = 0xff8
      bytes = builder.build()
    case .dynamicOutsideImage:
      bytes.store(UInt64(0x20_0000), at: field(dynamicIndex, ProgramHeaderField.virtualAddress))
    case .dynamicEndWrapsBelowImage:
      // p_vaddr + p_memsz wraps to 0, below the image (found by fuzz/ELFFuzz).
      bytes.store(
        UInt64(0) &- 0x8000, at: field(dynamicIndex, ProgramHeaderField.memorySize))
    case .dynamicAtTopOfAddressSpace:
      // p_vaddr = 2^64 - 1: the end wraps into the image (found by fuzz/ELFFuzz).
      bytes.store(UInt64.max, at: field(dynamicIndex, ProgramHeaderField.virtualAddress))
    case .absoluteRelocation:
      builder.dynamic!.relocations[0].type = 1  // R_X86_64_64
      builder.dynamic!.relocations[0].symbol = 1
      bytes = builder.build()
    case .relRelocations:
      builder.dynamic!.entries = [(ELFFile.tagRel, 0x8000), (ELFFile.tagNull, 0)]
      bytes = builder.build()
    }
    return bytes
  }
}

@Suite struct ELFTests {
  static let brokenFiles: [(BrokenELF, ELFError)] = [
    (.truncatedHeader, .tooSmall),
    (.emptyFile, .tooSmall),
    (.badMagic, .badMagic),
    (.class32, .not64Bit),
    (.bigEndian, .notLittleEndian),
    (.versionZero, .badVersion),
    (.aarch64, .wrongMachine),
    (.relocatableObject, .notExecutable),
    (.coreFile, .notExecutable),
    (.programHeaderEntrySize32, .badProgramHeaders),
    (.zeroProgramHeaders, .badProgramHeaders),
    (.sixtyFourProgramHeaders, .badProgramHeaders),
    (.programHeadersPastEnd, .badProgramHeaders),
    (.programHeadersTruncated, .badProgramHeaders),
    (.interpreter, .hasInterpreter),
    (.fileSizeAboveMemorySize, .segmentSizes),
    (.hugeMemorySize, .segmentSizes),
    (.addressAboveUserHalf, .segmentSizes),
    (.offsetPastEnd, .segmentOutsideFile),
    (.truncatedSegmentData, .segmentOutsideFile),
    (.alignmentNotPowerOfTwo, .badAlignment),
    (.overlappingLoads, .overlappingSegments),
    (.identicalLoads, .overlappingSegments),
    (.noLoads, .noLoadableSegments),
    (.onlyEmptyLoad, .noLoadableSegments),
    (.noNote, .notHermitApp),
    (.noteNameHERMIX, .notHermitApp),
    (.noteTypeTwo, .notHermitApp),
    (.noteVersionTwo, .notHermitApp),
    (.noteTooShort, .notHermitApp),
    (.noteOutsideFile, .notHermitApp),
    (.noteSizesHuge, .notHermitApp),
    (.entryAboveImage, .entryOutsideImage),
    (.entryBelowImage, .entryOutsideImage),
    (.executableAtOtherAddress, .notRelocatable),
    (.relocationEntrySize16, .badDynamic),
    (.relocationTableOutsideImage, .badDynamic),
    (.relocationSizeNotMultiple, .badDynamic),
    (.relocationTargetAboveImage, .badDynamic),
    (.relocationTargetBelowImage, .badDynamic),
    (.dynamicOutsideImage, .badDynamic),
    (.dynamicEndWrapsBelowImage, .badDynamic),
    (.dynamicAtTopOfAddressSpace, .badDynamic),
    (.absoluteRelocation, .unsupportedRelocation),
    (.relRelocations, .unsupportedRelocation),
  ]

  static let allErrors: [ELFError] = [
    .tooSmall, .badMagic, .not64Bit, .notLittleEndian, .badVersion, .wrongMachine,
    .notExecutable, .badProgramHeaders, .hasInterpreter, .segmentSizes,
    .segmentOutsideFile, .badAlignment, .overlappingSegments, .noLoadableSegments,
    .notHermitApp, .entryOutsideImage, .notRelocatable, .badDynamic, .unsupportedRelocation,
  ]

  // MARK: Good files

  @Test func samplePIEValidatesAsAPositionIndependentImage() throws {
    let bytes = ELFBuilder.samplePIE().build()
    try bytes.withUnsafeBytes { file in
      let elf = ELFFile(base: file.baseAddress!, size: file.count)
      let span = try elf.validate()
      #expect((span.low, span.high) == (0x1000, 0x9000))
      #expect(span.size == 0x8000)
      #expect(elf.isPositionIndependent)
      #expect(elf.type == ELFFile.typeShared)
      #expect(elf.machine == ELFFile.machineX8664)
      #expect(elf.entry == 0x1000)
      #expect(elf.programHeaderCount == 5)
      #expect(elf.segment(1).virtualAddress == 0x2000)
      #expect(elf.segment(1).fileSize == 0x20)
      #expect(elf.segment(1).memorySize == 0x1000)
      #expect(elf.segment(1).end == 0x3000)
    }
  }

  @Test(arguments: [UInt64(0x1000), 0x20_0000, 0x1234_5000, 0x7fff_ffff_f000])
  func pieLoadsAtAnyAddressWithRelocationsApplied(loadAddress: UInt64) throws {
    let image = try validateAndLoad(ELFBuilder.samplePIE().build(), at: loadAddress)
    let bias = loadAddress &- 0x1000
    #expect(image.entry == 0x1000 + bias)
    // Each relocated word is B + A (psABI Table 4.9).
    #expect(image.word(at: 0x2000) == 0x1000 &+ bias)
    #expect(image.word(at: 0x2008) == 0x2018 &+ bias)
    #expect(image.word(at: 0x2ff8) == 0x8000 &+ bias)
    // Text and the unrelocated data are copied as they are.
    #expect(Array(image.memory[0..<3]) == [0xf4, 0xeb, 0xfd])
    #expect(image.word(at: 0x2010) == 0xaaaa_aaaa_aaaa_aaaa)
    #expect(image.word(at: 0x2018) == 0xaaaa_aaaa_aaaa_aaaa)
  }

  @Test func loadZeroesBssAndGapsInADirtyBuffer() throws {
    let image = try validateAndLoad(ELFBuilder.samplePIE().build(), at: 0x40_0000, fill: 0xee)
    // .bss of the data segment, except the relocated last word.
    #expect(image.memory[0x1020..<0x1ff8].allSatisfy { $0 == 0 })
    // The rest of the text page and the gap between data and dynamic data.
    #expect(image.memory[0x0010..<0x1000].allSatisfy { $0 == 0 })
    #expect(image.memory[0x2000..<0x7000].allSatisfy { $0 == 0 })
    // Page padding after the dynamic data.
    #expect(image.memory[0x7088..<0x8000].allSatisfy { $0 == 0 })
  }

  @Test func dynamicTableAndRelocationsAreCopiedIntoTheImage() throws {
    let image = try validateAndLoad(ELFBuilder.samplePIE().build(), at: 0x40_0000)
    #expect(image.word(at: 0x8000) == ELFFile.tagRela)
    #expect(image.word(at: 0x8008) == 0x8040)
    #expect(image.word(at: 0x8040) == 0x2000)  // r_offset is not relocated itself
    #expect(image.word(at: 0x8048) == UInt64(ELFFile.relocationRelative))
  }

  @Test func pieWithoutDynamicSegmentLoadsUnrelocated() throws {
    var builder = ELFBuilder.samplePIE()
    builder.dynamic = nil
    let image = try validateAndLoad(builder.build(), at: 0x80_0000)
    #expect((image.span.low, image.span.high) == (0x1000, 0x3000))
    #expect(image.entry == 0x80_0000)
    #expect(image.word(at: 0x2000) == 0xaaaa_aaaa_aaaa_aaaa)
  }

  @Test func emptyRelocationTableIsAccepted() throws {
    var builder = ELFBuilder.samplePIE()
    builder.dynamic!.relocations = []
    let image = try validateAndLoad(builder.build(), at: 0x80_0000)
    #expect(image.word(at: 0x2000) == 0xaaaa_aaaa_aaaa_aaaa)
  }

  @Test func dynamicTableWithoutNullEndsAtTheSegmentEnd() throws {
    var builder = ELFBuilder.samplePIE()
    builder.dynamic!.entries = [
      (ELFFile.tagRelaEntry, 24), (ELFFile.tagRelaSize, 3 * 24),
      (ELFFile.tagRela, builder.dynamic!.virtualAddress + 3 * 16),
    ]
    let image = try validateAndLoad(builder.build(), at: 0x1000 + 0x10_0000)
    #expect(image.word(at: 0x2000) == 0x1000 + 0x10_0000)
  }

  @Test func relocationIntoThePagePaddingAtTheImageEndIsAllowed() throws {
    var builder = ELFBuilder.samplePIE()
    builder.dynamic!.relocations[1].offset = 0x9000 - 8
    let image = try validateAndLoad(builder.build(), at: 0x10_1000)
    #expect(image.word(at: 0x9000 - 8) == 0x2018 + 0x10_0000)
  }

  @Test func executableLoadsAtItsLinkAddress() throws {
    let image = try validateAndLoad(ELFBuilder.sampleExecutable().build(), at: 0x40_1000)
    #expect((image.span.low, image.span.high) == (0x40_1000, 0x40_3000))
    #expect(image.entry == 0x40_1000)
    #expect(Array(image.memory[0x1000..<0x1008]) == [1, 2, 3, 4, 5, 6, 7, 8])
    #expect(image.memory[0x1008..<0x2000].allSatisfy { $0 == 0 })
  }

  @Test(arguments: [UInt64(0), 0x40_0000, 0x40_2000, 0x1000_0000])
  func executableRefusesAnyOtherAddress(loadAddress: UInt64) {
    #expect(throws: ELFError.notRelocatable) {
      try validateAndLoad(ELFBuilder.sampleExecutable().build(), at: loadAddress)
    }
  }

  @Test func executableWithDynamicSegmentIsNotRelocated() throws {
    var builder = ELFBuilder.samplePIE()
    builder.type = ELFFile.typeExecutable
    let image = try validateAndLoad(builder.build(), at: 0x1000)
    #expect(image.word(at: 0x2000) == 0xaaaa_aaaa_aaaa_aaaa)
  }

  @Test func hermitNoteIsFoundAfterOtherNotes() throws {
    var builder = ELFBuilder.samplePIE()
    // A GNU build-id note (type 3, 20-byte descriptor) first, as ld writes it.
    var gnu: [UInt8] = [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0] + Array("GNU".utf8) + [0]
    gnu += [UInt8](repeating: 0x5a, count: 20)
    builder.note = gnu + ELFBuilder.hermitNote()
    _ = try validateAndLoad(builder.build())
  }

  @Test func hermitNoteWithoutTerminatingNulIsAccepted() throws {
    var builder = ELFBuilder.samplePIE()
    builder.note = ELFBuilder.hermitNote(name: Array("HERMIT".utf8))
    _ = try validateAndLoad(builder.build())
  }

  @Test func emptyLoadSegmentsDoNotCountAsOverlapping() throws {
    var builder = ELFBuilder.samplePIE()
    builder.loads.append(.init(virtualAddress: 0x1000, bytes: [], memorySize: 0))
    let image = try validateAndLoad(builder.build(), at: 0x1000)
    #expect((image.span.low, image.span.high) == (0x1000, 0x9000))
  }

  @Test func emptyLoadSegmentsDoNotStretchTheSpan() throws {
    var builder = ELFBuilder.samplePIE()
    builder.loads.append(.init(virtualAddress: 0x3fff_f000, bytes: [], memorySize: 0))
    try builder.build().withUnsafeBytes { file in
      let span = try ELFFile(base: file.baseAddress!, size: file.count).validate()
      #expect((span.low, span.high) == (0x1000, 0x9000))
    }
  }

  @Test func adjacentSegmentsDoNotOverlap() throws {
    var builder = ELFBuilder.samplePIE()
    builder.loads[0].memorySize = 0x1000
    _ = try validateAndLoad(builder.build())
  }

  @Test func entryAtTheLastByteOfTheImageIsAccepted() throws {
    var builder = ELFBuilder.samplePIE()
    builder.entry = 0x8000 + 4 * 16 + 3 * 24 - 1
    _ = try validateAndLoad(builder.build())
  }

  // MARK: Broken files

  @Test(arguments: brokenFiles)
  func brokenFileIsRejected(file: BrokenELF, error: ELFError) {
    #expect(throws: error) { try validateAndLoad(file.bytes, at: 0x20_0000) }
  }

  @Test func brokenFilesCoverEveryError() {
    let produced = Set(Self.brokenFiles.map { "\($0.1)" })
    let all = Set(Self.allErrors.map { "\($0)" })
    #expect(produced == all)
    #expect(all.count == 19)
  }

  @Test(arguments: allErrors)
  func everyErrorHasAMessage(error: ELFError) {
    #expect(error.message.utf8CodeUnitCount > 10)
  }

  @Test func truncatingAGoodFileAnywhereNeverCrashes() {
    let bytes = ELFBuilder.samplePIE().build()
    for length in 0..<bytes.count {
      #expect(throws: ELFError.self) { try validateAndLoad(Array(bytes[0..<length])) }
    }
  }

  // MARK: The real artifact

  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `build/examples/hello.debug` or `build/examples/hello`, if `make` built them.
  static let helloPath: String? = ["build/examples/hello.debug", "build/examples/hello"]
    .map { repositoryRoot.appendingPathComponent($0).path }
    .first { FileManager.default.fileExists(atPath: $0) }

  @Test(.enabled(if: helloPath != nil, "needs build/examples/hello from `make`"))
  func builtHelloExampleValidatesAndLoadsWithRelocations() throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.helloPath!)))
    let loadAddress: UInt64 = 0x40_0000
    let image = try validateAndLoad(bytes, at: loadAddress)
    let bias = loadAddress &- image.span.low
    let entry: UInt64 = bytes.load(at: 24)
    #expect(image.entry == entry &+ bias)

    // Program headers and the HERMIT note, read independently of ELFFile.
    let headerOffset = Int(bytes.load(at: 32, as: UInt64.self))
    let headerCount = Int(bytes.load(at: 56, as: UInt16.self))
    #expect(bytes.load(at: 16, as: UInt16.self) == ELFFile.typeShared)
    var loads: [(offset: Int, address: UInt64, fileSize: Int, memorySize: Int)] = []
    var dynamic: (address: UInt64, size: Int)?
    var sawNote = false
    for index in 0..<headerCount {
      let at = headerOffset + index * 56
      let type: UInt32 = bytes.load(at: at)
      let offset = Int(bytes.load(at: at + 8, as: UInt64.self))
      let address: UInt64 = bytes.load(at: at + 16)
      let fileSize = Int(bytes.load(at: at + 32, as: UInt64.self))
      let memorySize = Int(bytes.load(at: at + 40, as: UInt64.self))
      switch type {
      case ELFFile.segmentLoad: loads.append((offset, address, fileSize, memorySize))
      case ELFFile.segmentDynamic: dynamic = (address, memorySize)
      case ELFFile.segmentNote:
        let name = String(decoding: bytes[(offset + 12)..<(offset + 18)], as: UTF8.self)
        if name == "HERMIT", bytes.load(at: offset + 8, as: UInt32.self) == 1 {
          sawNote = true
          #expect(bytes.load(at: offset + 20, as: UInt32.self) == ELFFile.abiVersion)
        }
      case ELFFile.segmentInterpreter: Issue.record("hello has PT_INTERP")
      default: break
      }
    }
    #expect(sawNote)
    let dynamicTable = try #require(dynamic)

    // The relocation table, read from the loaded image.
    var table: UInt64 = 0
    var tableSize: UInt64 = 0
    for at in stride(
      from: dynamicTable.address, to: dynamicTable.address + UInt64(dynamicTable.size), by: 16)
    {
      let tag = image.word(at: at)
      if tag == ELFFile.tagNull { break }
      if tag == ELFFile.tagRela { table = image.word(at: at + 8) }
      if tag == ELFFile.tagRelaSize { tableSize = image.word(at: at + 8) }
    }
    #expect(tableSize > 0)
    var relocated: Set<UInt64> = []
    for at in stride(from: table, to: table + tableSize, by: 24) {
      let target = image.word(at: at)
      #expect(image.word(at: at + 8) == UInt64(ELFFile.relocationRelative))
      #expect(image.word(at: target) == image.word(at: at + 16) &+ bias)
      relocated.insert(target)
    }

    // Every other byte is the file's, and .bss is zero.
    for load in loads {
      let start = Int(load.address - image.span.low)
      for index in stride(from: 0, to: load.fileSize & ~7, by: 8)
      where !relocated.contains(load.address + UInt64(index)) {
        if image.memory.load(at: start + index, as: UInt64.self)
          != bytes.load(at: load.offset + index, as: UInt64.self)
        {
          Issue.record("byte \(load.address + UInt64(index)) differs from the file")
          break
        }
      }
      #expect(
        image.memory[(start + load.fileSize)..<(start + load.memorySize)].allSatisfy { $0 == 0 })
    }
  }
}

extension ELFTests {
  static let corpusDirectory = ProcessInfo.processInfo.environment["HERMIT_WRITE_FUZZ_CORPUS"]

  /// Writes the seed corpus of fuzz/ELFFuzz (fuzz/corpus/elf/) from the builder,
  /// plus build/examples/hello if it is under 100 KB. Run on demand:
  ///
  ///     HERMIT_WRITE_FUZZ_CORPUS=$PWD/fuzz/corpus/elf \
  ///       swift test --scratch-path .build-bootformat --filter writeFuzzSeedCorpus
  @Test(.enabled(if: corpusDirectory != nil, "set HERMIT_WRITE_FUZZ_CORPUS to a directory"))
  func writeFuzzSeedCorpus() throws {
    let directory = URL(fileURLWithPath: Self.corpusDirectory!)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var seeds: [(String, [UInt8])] = [
      ("pie", ELFBuilder.samplePIE().build()),
      ("exec", ELFBuilder.sampleExecutable().build()),
    ]
    var builder = ELFBuilder.samplePIE()
    builder.dynamic = nil
    seeds.append(("pie-without-dynamic", builder.build()))
    builder = ELFBuilder.samplePIE()
    builder.dynamic!.entries = [
      (ELFFile.tagRelaEntry, 24), (ELFFile.tagRelaSize, 3 * 24),
      (ELFFile.tagRela, builder.dynamic!.virtualAddress + 3 * 16),
    ]
    seeds.append(("pie-dynamic-without-null", builder.build()))
    builder = ELFBuilder.samplePIE()
    builder.note =
      [4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0] + Array("GNU".utf8) + [0, 1, 2, 3, 4]
      + ELFBuilder.hermitNote()
    seeds.append(("pie-two-notes", builder.build()))
    for broken in [
      BrokenELF.relocationTargetAboveImage, .absoluteRelocation, .relRelocations, .noteTooShort,
      .overlappingLoads, .interpreter, .relocationEntrySize16, .dynamicOutsideImage,
      .executableAtOtherAddress,
    ] {
      seeds.append(("broken-\(broken.rawValue)", broken.bytes))
    }
    for (name, bytes) in seeds {
      #expect(bytes.count < 10_000)
      try Data(bytes).write(to: directory.appendingPathComponent(name))
    }
    if let hello = Self.helloPath {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: hello))
      if bytes.count < 100_000 { try bytes.write(to: directory.appendingPathComponent("hello")) }
    }
  }
}
