import BootFormat

/// Emits small ELF64 files for the tests (and the fuzz seed corpus): `ET_EXEC` or
/// `ET_DYN`, with the given `PT_LOAD` segments, an optional `PT_NOTE` (the HERMIT
/// note by default), an optional `PT_DYNAMIC` with `DT_RELA`/`DT_RELASZ`/
/// `DT_RELAENT` and relocations, and an optional `PT_INTERP`.
///
/// File layout (offsets in bytes):
///
///     0                 ELF header (64)
///     64                program headers (56 each), in this order:
///                         loads..., [PT_LOAD of the dynamic data], [PT_DYNAMIC],
///                         [PT_NOTE], [PT_INTERP]
///     8-aligned         note, interpreter path, then each load's bytes and
///                       finally the dynamic data (table, then relocations)
///
/// File offsets are not congruent to addresses modulo the page size, which the
/// loader does not need (it copies; it never maps the file). Tests that want a
/// broken file build a good one and patch it with `store(_:at:)`.
struct ELFBuilder {
  /// One `PT_LOAD`: `bytes` are its file contents; memory beyond them is .bss.
  struct Load {
    var virtualAddress: UInt64
    var bytes: [UInt8]
    var memorySize: UInt64
    var flags: UInt32 = ELFFile.flagRead
    var alignment: UInt64 = 0x1000

    init(
      virtualAddress: UInt64, bytes: [UInt8], memorySize: UInt64? = nil,
      flags: UInt32 = ELFFile.flagRead, alignment: UInt64 = 0x1000
    ) {
      self.virtualAddress = virtualAddress
      self.bytes = bytes
      self.memorySize = memorySize ?? UInt64(bytes.count)
      self.flags = flags
      self.alignment = alignment
    }
  }

  /// One `Elf64_Rela` (psABI §4.4): `r_info` is `symbol << 32 | type`.
  struct Relocation {
    var offset: UInt64
    var type: UInt32 = ELFFile.relocationRelative
    var symbol: UInt32 = 0
    var addend: UInt64
  }

  /// The dynamic data: an extra read-write `PT_LOAD` at `virtualAddress` that
  /// holds the dynamic table followed by the relocation table, and a
  /// `PT_DYNAMIC` covering the table.
  struct Dynamic {
    var virtualAddress: UInt64 = 0x8000
    var relocations: [Relocation] = []
    /// Replaces the table `DT_RELA, DT_RELASZ, DT_RELAENT, DT_NULL` when set.
    var entries: [(tag: UInt64, value: UInt64)]? = nil

    /// Where the relocation table lands when `entries` is the default table.
    var relocationTableAddress: UInt64 { virtualAddress + 4 * 16 }

    func table() -> [(tag: UInt64, value: UInt64)] {
      if let entries { return entries }
      return [
        (ELFFile.tagRela, relocationTableAddress),
        (ELFFile.tagRelaSize, UInt64(relocations.count * 24)),
        (ELFFile.tagRelaEntry, 24),
        (ELFFile.tagNull, 0),
      ]
    }
  }

  var type: UInt16 = ELFFile.typeShared
  var machine: UInt16 = ELFFile.machineX8664
  var entry: UInt64 = 0x1000
  var loads: [Load] = []
  /// Contents of the `PT_NOTE` segment; nil leaves it out.
  var note: [UInt8]? = ELFBuilder.hermitNote()
  /// Contents of the `PT_INTERP` segment; nil leaves it out.
  var interpreter: [UInt8]? = nil
  var dynamic: Dynamic? = nil

  static let headerSize = 64
  static let programHeaderSize = 56

  /// A note entry (ELF-64 "Note Sections"): namesz, descsz, type, then name and
  /// descriptor, each padded to 4 bytes. The default is the HERMIT ABI note.
  static func hermitNote(
    name: [UInt8] = Array("HERMIT".utf8) + [0], type: UInt32 = ELFFile.noteTypeABI,
    version: UInt32 = ELFFile.abiVersion
  ) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.append(littleEndian: UInt32(name.count))
    bytes.append(littleEndian: UInt32(4))
    bytes.append(littleEndian: type)
    bytes += name
    while bytes.count % 4 != 0 { bytes.append(0) }
    bytes.append(littleEndian: version)
    return bytes
  }

  /// The program headers in file order.
  var programHeaderCount: Int {
    loads.count + (dynamic == nil ? 0 : 2) + (note == nil ? 0 : 1) + (interpreter == nil ? 0 : 1)
  }

  /// The index of the first program header of `type` (`PT_LOAD`s: the first load).
  func programHeaderIndex(of segmentType: UInt32) -> Int? {
    var index = 0
    if segmentType == ELFFile.segmentLoad { return loads.isEmpty && dynamic == nil ? nil : 0 }
    index += loads.count
    if dynamic != nil {
      if segmentType == ELFFile.segmentDynamic { return index + 1 }
      index += 2
    }
    if note != nil {
      if segmentType == ELFFile.segmentNote { return index }
      index += 1
    }
    if interpreter != nil, segmentType == ELFFile.segmentInterpreter { return index }
    return nil
  }

  /// The file offset of field `field` (its offset inside `Elf64_Phdr`) of program
  /// header `index`, for patching.
  static func programHeaderField(_ index: Int, _ field: Int) -> Int {
    headerSize + index * programHeaderSize + field
  }

  func build() -> [UInt8] {
    var headers: [[UInt8]] = []
    var body: [UInt8] = []
    var bodyStart = Self.headerSize + programHeaderCount * Self.programHeaderSize
    bodyStart = (bodyStart + 7) & ~7

    /// Appends `bytes` to the body, 8-aligned, and returns their file offset.
    func place(_ bytes: [UInt8]) -> UInt64 {
      while body.count % 8 != 0 { body.append(0) }
      let offset = UInt64(bodyStart + body.count)
      body += bytes
      return offset
    }

    // Contents first (note, interpreter, loads, dynamic data), headers in file order.
    let noteOffset = note.map { place($0) }
    let interpreterOffset = interpreter.map { place($0) }
    for load in loads {
      let offset = place(load.bytes)
      headers.append(
        Self.programHeader(
          type: ELFFile.segmentLoad, flags: load.flags, offset: offset,
          virtualAddress: load.virtualAddress, fileSize: UInt64(load.bytes.count),
          memorySize: load.memorySize, alignment: load.alignment))
    }
    if let dynamic {
      var data: [UInt8] = []
      let table = dynamic.table()
      for entry in table {
        data.append(littleEndian: entry.tag)
        data.append(littleEndian: entry.value)
      }
      for relocation in dynamic.relocations {
        data.append(littleEndian: relocation.offset)
        data.append(littleEndian: UInt64(relocation.symbol) << 32 | UInt64(relocation.type))
        data.append(littleEndian: relocation.addend)
      }
      let offset = place(data)
      headers.append(
        Self.programHeader(
          type: ELFFile.segmentLoad, flags: ELFFile.flagRead | ELFFile.flagWrite, offset: offset,
          virtualAddress: dynamic.virtualAddress, fileSize: UInt64(data.count),
          memorySize: UInt64(data.count), alignment: 0x1000))
      headers.append(
        Self.programHeader(
          type: ELFFile.segmentDynamic, flags: ELFFile.flagRead | ELFFile.flagWrite,
          offset: offset, virtualAddress: dynamic.virtualAddress,
          fileSize: UInt64(table.count * 16), memorySize: UInt64(table.count * 16),
          alignment: 8))
    }
    if let note, let noteOffset {
      headers.append(
        Self.programHeader(
          type: ELFFile.segmentNote, flags: ELFFile.flagRead, offset: noteOffset,
          virtualAddress: 0, fileSize: UInt64(note.count), memorySize: UInt64(note.count),
          alignment: 4))
    }
    if let interpreter, let interpreterOffset {
      headers.append(
        Self.programHeader(
          type: ELFFile.segmentInterpreter, flags: ELFFile.flagRead, offset: interpreterOffset,
          virtualAddress: 0, fileSize: UInt64(interpreter.count),
          memorySize: UInt64(interpreter.count), alignment: 1))
    }

    // ELF-64 Table 2: the file header.
    var bytes: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]  // EI_MAG0..3 = "\x7fELF"
    bytes += [2, 1, 1, 0]  // EI_CLASS = ELFCLASS64, EI_DATA = LSB, EI_VERSION, EI_OSABI
    bytes += [UInt8](repeating: 0, count: 8)  // EI_ABIVERSION, EI_PAD
    bytes.append(littleEndian: type)  // e_type
    bytes.append(littleEndian: machine)  // e_machine
    bytes.append(littleEndian: UInt32(1))  // e_version
    bytes.append(littleEndian: entry)  // e_entry
    bytes.append(littleEndian: UInt64(Self.headerSize))  // e_phoff
    bytes.append(littleEndian: UInt64(0))  // e_shoff: no section headers
    bytes.append(littleEndian: UInt32(0))  // e_flags
    bytes.append(littleEndian: UInt16(Self.headerSize))  // e_ehsize
    bytes.append(littleEndian: UInt16(Self.programHeaderSize))  // e_phentsize
    bytes.append(littleEndian: UInt16(headers.count))  // e_phnum
    bytes.append(littleEndian: UInt16(64))  // e_shentsize
    bytes.append(littleEndian: UInt16(0))  // e_shnum
    bytes.append(littleEndian: UInt16(0))  // e_shstrndx
    precondition(bytes.count == Self.headerSize)
    for header in headers { bytes += header }
    while bytes.count < bodyStart { bytes.append(0) }
    bytes += body
    return bytes
  }

  /// ELF-64 Table 8: one program header.
  static func programHeader(
    type: UInt32, flags: UInt32, offset: UInt64, virtualAddress: UInt64, fileSize: UInt64,
    memorySize: UInt64, alignment: UInt64
  ) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.append(littleEndian: type)  // p_type
    bytes.append(littleEndian: flags)  // p_flags
    bytes.append(littleEndian: offset)  // p_offset
    bytes.append(littleEndian: virtualAddress)  // p_vaddr
    bytes.append(littleEndian: virtualAddress)  // p_paddr
    bytes.append(littleEndian: fileSize)  // p_filesz
    bytes.append(littleEndian: memorySize)  // p_memsz
    bytes.append(littleEndian: alignment)  // p_align
    return bytes
  }
}

/// `Elf64_Phdr` field offsets, for patching built files.
enum ProgramHeaderField {
  static let type = 0
  static let flags = 4
  static let offset = 8
  static let virtualAddress = 16
  static let fileSize = 32
  static let memorySize = 40
  static let alignment = 48
}

extension ELFBuilder {
  /// A static PIE like the ones `ld.lld -pie` makes for Hermit apps, scaled down:
  ///
  ///     0x1000  text   R X   16 bytes, entry at 0x1000
  ///     0x2000  data   RW    0x20 bytes of file, 0x1000 in memory (.bss after)
  ///     0x8000  dynamic data: table + 3 RELATIVE relocations patching data
  static func samplePIE() -> ELFBuilder {
    var builder = ELFBuilder()
    builder.type = ELFFile.typeShared
    builder.entry = 0x1000
    builder.loads = [
      Load(
        virtualAddress: 0x1000, bytes: [0xf4, 0xeb, 0xfd] + [UInt8](repeating: 0xcc, count: 13),
        flags: ELFFile.flagRead | ELFFile.flagExecute),
      Load(
        virtualAddress: 0x2000, bytes: [UInt8](repeating: 0xaa, count: 0x20), memorySize: 0x1000,
        flags: ELFFile.flagRead | ELFFile.flagWrite),
    ]
    builder.dynamic = Dynamic(
      virtualAddress: 0x8000,
      relocations: [
        Relocation(offset: 0x2000, addend: 0x1000),  // a pointer to the entry point
        Relocation(offset: 0x2008, addend: 0x2018),  // a pointer into data
        Relocation(offset: 0x2ff8, addend: 0x8000),  // the last .bss word → dynamic
      ])
    return builder
  }

  /// A fixed-address executable linked at 0x40_0000, without relocations.
  static func sampleExecutable() -> ELFBuilder {
    var builder = ELFBuilder()
    builder.type = ELFFile.typeExecutable
    builder.entry = 0x40_1000
    builder.loads = [
      Load(
        virtualAddress: 0x40_1000, bytes: [0xf4, 0xeb, 0xfd],
        flags: ELFFile.flagRead | ELFFile.flagExecute),
      Load(
        virtualAddress: 0x40_2000, bytes: [1, 2, 3, 4, 5, 6, 7, 8], memorySize: 0x100,
        flags: ELFFile.flagRead | ELFFile.flagWrite),
    ]
    return builder
  }
}

extension Array where Element == UInt8 {
  mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
    Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
  }

  /// Overwrites `T.bitWidth / 8` bytes at `offset` with `value`, little-endian.
  mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
    Swift.withUnsafeBytes(of: value.littleEndian) { source in
      for (index, byte) in source.enumerated() { self[offset + index] = byte }
    }
  }

  /// Reads a little-endian `T` at `offset`.
  func load<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T {
    withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
  }
}
