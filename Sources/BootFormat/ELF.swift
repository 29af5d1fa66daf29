/// ELF64 validation and loading for the loader, host-testable.
///
/// Spec: System V ABI, "ELF-64 Object File Format" 1.5, and the AMD64 psABI
/// (x86-64-psABI 1.0, §4 for relocations). Only what a static app needs:
/// `ET_EXEC`, or `ET_DYN` without an interpreter (static PIE) whose only dynamic
/// relocations are `R_X86_64_RELATIVE`.
///
/// Written without Array or String so that the loader, which links this file,
/// stays small: segments are read in place from the program header table.
public struct ELFFile {
  public let base: UnsafeRawPointer
  public let size: Int

  /// `e_type` values (ELF-64 §"ELF Header").
  public static let typeExecutable: UInt16 = 2  // ET_EXEC
  public static let typeShared: UInt16 = 3  // ET_DYN, a PIE
  /// `e_machine` for AMD64.
  public static let machineX8664: UInt16 = 62
  /// `p_type` values.
  public static let segmentLoad: UInt32 = 1  // PT_LOAD
  public static let segmentDynamic: UInt32 = 2  // PT_DYNAMIC
  public static let segmentInterpreter: UInt32 = 3  // PT_INTERP
  public static let segmentNote: UInt32 = 4  // PT_NOTE
  /// Dynamic tags (ELF-64 §"Dynamic Table").
  public static let tagNull: UInt64 = 0  // DT_NULL
  public static let tagRela: UInt64 = 7  // DT_RELA
  public static let tagRelaSize: UInt64 = 8  // DT_RELASZ
  public static let tagRelaEntry: UInt64 = 9  // DT_RELAENT
  public static let tagRel: UInt64 = 17  // DT_REL: AMD64 uses RELA only
  /// psABI Table 4.9: B + A.
  public static let relocationRelative: UInt32 = 8  // R_X86_64_RELATIVE
  /// `p_flags` bits.
  public static let flagExecute: UInt32 = 1  // PF_X
  public static let flagWrite: UInt32 = 2  // PF_W
  public static let flagRead: UInt32 = 4  // PF_R

  /// The note that marks an ELF file as a Hermit app: name "HERMIT", type 1,
  /// descriptor = ABI version (UInt32). The kernel's Boot.asm emits it.
  public static let noteName: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (
    0x48, 0x45, 0x52, 0x4d, 0x49, 0x54
  )
  public static let noteTypeABI: UInt32 = 1
  public static let abiVersion: UInt32 = 1

  /// Wraps `size` bytes at `base`; `validate()` says whether they are a usable app.
  public init(base: UnsafeRawPointer, size: Int) {
    self.base = base
    self.size = size
  }

  // MARK: Header fields (ELF-64 Table 2)

  public var type: UInt16 { read(16) }
  public var machine: UInt16 { read(18) }
  public var entry: UInt64 { read(24) }
  var programHeaderOffset: UInt64 { read(32) }
  var programHeaderEntrySize: UInt16 { read(54) }
  public var programHeaderCount: Int { Int(read(56) as UInt16) }
  public var isPositionIndependent: Bool { type == Self.typeShared }

  /// The program header at `index` (ELF-64 Table 8). Call after `validate()`.
  public func segment(_ index: Int) -> ELFSegment {
    let at = Int(programHeaderOffset) + index * Int(programHeaderEntrySize)
    return ELFSegment(
      type: read(at), flags: read(at + 4), offset: read(at + 8), virtualAddress: read(at + 16),
      fileSize: read(at + 32), memorySize: read(at + 40), alignment: read(at + 48))
  }

  /// Checks everything the loader relies on and returns the span of the image:
  /// the lowest and highest virtual address of its loadable segments, page-aligned.
  public func validate() throws(ELFError) -> ELFSpan {
    guard size >= 64 else { throw .tooSmall }
    guard read(0) as UInt32 == 0x464c_457f else { throw .badMagic }  // "\x7fELF"
    guard read(4) as UInt8 == 2 else { throw .not64Bit }  // ELFCLASS64
    guard read(5) as UInt8 == 1 else { throw .notLittleEndian }  // ELFDATA2LSB
    guard read(6) as UInt8 == 1 else { throw .badVersion }  // EV_CURRENT
    guard machine == Self.machineX8664 else { throw .wrongMachine }
    guard type == Self.typeExecutable || type == Self.typeShared else { throw .notExecutable }
    let count = programHeaderCount
    guard programHeaderEntrySize == 56, count > 0, count < 64,
      programHeaderOffset < UInt64(size),
      UInt64(size) - programHeaderOffset >= UInt64(count) * 56
    else { throw .badProgramHeaders }

    var low = UInt64.max
    var high: UInt64 = 0
    var marked = false
    for index in 0..<count {
      let segment = segment(index)
      if segment.type == Self.segmentInterpreter { throw .hasInterpreter }
      if segment.type == Self.segmentNote, isHermitNote(segment) { marked = true }
      guard segment.type == Self.segmentLoad else { continue }
      guard segment.fileSize <= segment.memorySize else { throw .segmentSizes }
      guard segment.offset <= UInt64(size), UInt64(size) - segment.offset >= segment.fileSize
      else { throw .segmentOutsideFile }
      guard segment.alignment == 0 || segment.alignment & (segment.alignment - 1) == 0 else {
        throw .badAlignment
      }
      guard segment.memorySize <= 1 << 40, segment.virtualAddress <= 1 << 46 else {
        throw .segmentSizes
      }
      // Segments may not overlap each other (checked pairwise: count is small).
      for other in 0..<index {
        let previous = self.segment(other)
        guard previous.type == Self.segmentLoad, previous.memorySize > 0,
          segment.memorySize > 0
        else { continue }
        if segment.virtualAddress < previous.end && previous.virtualAddress < segment.end {
          throw .overlappingSegments
        }
      }
      // Empty segments occupy no memory: they must not stretch the span.
      if segment.memorySize > 0 {
        low = min(low, segment.virtualAddress)
        high = max(high, segment.end)
      }
    }
    guard low < high else { throw .noLoadableSegments }
    guard marked else { throw .notHermitApp }
    guard entry >= low, entry < high else { throw .entryOutsideImage }
    return ELFSpan(low: low & ~0xfff, high: (high + 0xfff) & ~0xfff)
  }

  /// Copies the segments into `memory` (which holds `span` at load address
  /// `loadAddress`), zeroes their .bss parts and, for a PIE, applies the
  /// `R_X86_64_RELATIVE` relocations. Returns the entry point's load address.
  ///
  /// - Precondition: `validate()` returned `span`; `memory` is writable for
  ///   `span.size` bytes and does not overlap the file.
  public func load(
    span: ELFSpan, into memory: UnsafeMutableRawPointer, loadAddress: UInt64
  ) throws(ELFError) -> UInt64 {
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: Int(span.size))
    var dynamic: ELFSegment?
    for index in 0..<programHeaderCount {
      let segment = segment(index)
      if segment.type == Self.segmentDynamic { dynamic = segment }
      guard segment.type == Self.segmentLoad, segment.fileSize > 0 else { continue }
      (memory + Int(segment.virtualAddress - span.low)).copyMemory(
        from: base + Int(segment.offset), byteCount: Int(segment.fileSize))
    }
    // The bias B of psABI §4.4: what was linked at span.low now lives at loadAddress.
    let bias = loadAddress &- span.low
    if isPositionIndependent, let dynamic {
      try relocate(dynamic: dynamic, span: span, memory: memory, bias: bias)
    } else if !isPositionIndependent && bias != 0 {
      throw .notRelocatable
    }
    return entry &+ bias
  }

  private func relocate(
    dynamic: ELFSegment, span: ELFSpan, memory: UnsafeMutableRawPointer, bias: UInt64
  ) throws(ELFError) {
    // Read the dynamic table from the loaded image (it lies inside a PT_LOAD).
    // Compared without `end`, which wraps for a hostile p_vaddr + p_memsz.
    guard dynamic.virtualAddress >= span.low, dynamic.virtualAddress <= span.high,
      dynamic.memorySize <= span.high - dynamic.virtualAddress
    else { throw .badDynamic }
    var table: UInt64 = 0
    var tableSize: UInt64 = 0
    var entrySize: UInt64 = 24
    var at = Int(dynamic.virtualAddress - span.low)
    let end = Int(dynamic.end - span.low)
    while at + 16 <= end {
      let tag = memory.loadUnaligned(fromByteOffset: at, as: UInt64.self)
      let value = memory.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)
      if tag == Self.tagNull { break }
      switch tag {
      case Self.tagRela: table = value
      case Self.tagRelaSize: tableSize = value
      case Self.tagRelaEntry: entrySize = value
      case Self.tagRel: throw .unsupportedRelocation
      default: break
      }
      at += 16
    }
    guard tableSize > 0 else { return }
    guard entrySize == 24, table >= span.low, table <= span.high,
      tableSize <= span.high - table, tableSize % 24 == 0
    else { throw .badDynamic }
    var offset = Int(table - span.low)
    let tableEnd = offset + Int(tableSize)
    while offset < tableEnd {
      let target = memory.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
      let info = memory.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
      let addend = memory.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)
      guard UInt32(truncatingIfNeeded: info) == Self.relocationRelative else {
        throw .unsupportedRelocation
      }
      guard target >= span.low, target <= span.high &- 8 else { throw .badDynamic }
      memory.storeBytes(
        of: addend &+ bias, toByteOffset: Int(target - span.low), as: UInt64.self)
      offset += 24
    }
  }

  private func isHermitNote(_ segment: ELFSegment) -> Bool {
    guard segment.offset <= UInt64(size), UInt64(size) - segment.offset >= segment.fileSize
    else { return false }
    // Note layout (ELF-64 §"Note Sections"): namesz, descsz, type, name, desc,
    // each padded to 4 bytes.
    var at = Int(segment.offset)
    let end = at + Int(segment.fileSize)
    while at + 12 <= end {
      let nameSize = Int(read(at) as UInt32)
      let descSize = Int(read(at + 4) as UInt32)
      let type: UInt32 = read(at + 8)
      let name = at + 12
      let desc = name + ((nameSize + 3) & ~3)
      guard nameSize < 64, descSize < 64, desc + ((descSize + 3) & ~3) <= end else {
        return false
      }
      if nameSize >= 6, type == Self.noteTypeABI, descSize >= 4,
        read(name) as UInt8 == Self.noteName.0, read(name + 1) as UInt8 == Self.noteName.1,
        read(name + 2) as UInt8 == Self.noteName.2, read(name + 3) as UInt8 == Self.noteName.3,
        read(name + 4) as UInt8 == Self.noteName.4, read(name + 5) as UInt8 == Self.noteName.5,
        read(desc) as UInt32 == Self.abiVersion
      {
        return true
      }
      at = desc + ((descSize + 3) & ~3)
    }
    return false
  }

  private func read<T: FixedWidthInteger>(_ offset: Int) -> T {
    base.loadUnaligned(fromByteOffset: offset, as: T.self)
  }
}

/// One program header (ELF-64 Table 8).
public struct ELFSegment: Equatable {
  public var type: UInt32
  public var flags: UInt32
  public var offset: UInt64
  public var virtualAddress: UInt64
  public var fileSize: UInt64
  public var memorySize: UInt64
  public var alignment: UInt64
  public var end: UInt64 { virtualAddress &+ memorySize }
}

/// The page-aligned virtual address range an image's loadable segments cover.
public struct ELFSpan: Equatable {
  public var low: UInt64
  public var high: UInt64
  public var size: UInt64 { high - low }
}

/// Why an ELF file cannot be loaded as an app.
public enum ELFError: Error, Equatable {
  case tooSmall, badMagic, not64Bit, notLittleEndian, badVersion, wrongMachine
  case notExecutable, badProgramHeaders, hasInterpreter, segmentSizes
  case segmentOutsideFile, badAlignment, overlappingSegments, noLoadableSegments
  case notHermitApp, entryOutsideImage, notRelocatable, badDynamic, unsupportedRelocation

  /// A message for the serial console; StaticString keeps the loader free of String.
  public var message: StaticString {
    switch self {
    case .tooSmall: "file is too small to be an ELF file"
    case .badMagic: "not an ELF file (bad magic)"
    case .not64Bit: "not a 64-bit ELF file"
    case .notLittleEndian: "not a little-endian ELF file"
    case .badVersion: "unknown ELF version"
    case .wrongMachine: "not an x86_64 ELF file"
    case .notExecutable: "not an executable or static PIE"
    case .badProgramHeaders: "bad program header table"
    case .hasInterpreter: "dynamically linked (has PT_INTERP); apps must be static"
    case .segmentSizes: "segment sizes are inconsistent"
    case .segmentOutsideFile: "segment lies outside the file (truncated?)"
    case .badAlignment: "segment alignment is not a power of two"
    case .overlappingSegments: "loadable segments overlap"
    case .noLoadableSegments: "no loadable segments"
    case .notHermitApp: "not a Hermit app (no HERMIT ABI note; link with the kernel library)"
    case .entryOutsideImage: "entry point lies outside the image"
    case .notRelocatable: "fixed-address executable cannot be placed at its link address"
    case .badDynamic: "bad dynamic section or relocation table"
    case .unsupportedRelocation: "unsupported relocation (only R_X86_64_RELATIVE)"
    }
  }
}
