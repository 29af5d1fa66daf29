// The loader: finds the app (Multiboot module 0), checks and loads it, and enters
// it with a BootInfo. Boot.asm has already switched to long mode with the first
// 4 GiB identity-mapped.
//
// Spec: Multiboot Specification 0.6.96 §3.3 (boot information format).
// Silent on success; on failure one line on the serial console, a status record
// and a failure exit (docs/ABI.md) — never a hang or a triple fault.

@_extern(c, "hermit_outb") func outb(_ port: UInt16, _ value: UInt8)
@_extern(c, "hermit_inb") func inb(_ port: UInt16) -> UInt8
@_extern(c, "hermit_outw") func outw(_ port: UInt16, _ value: UInt16)
@_extern(c, "loader_enter_app") func enterApp(_ entry: UInt64, _ bootInfo: UInt64)
@_extern(c, "loader_image_end") func loaderImageEnd() -> UInt64
@_extern(c, "loader_scratch") func loaderScratch() -> UnsafeMutableRawPointer

/// Multiboot information fields (Multiboot §3.3, byte offsets).
enum MultibootInfo {
  static let bootloaderMagic: UInt32 = 0x2BAD_B002
  static let flags = 0
  static let commandLine = 16  // valid if flags bit 2
  static let moduleCount = 20  // valid if flags bit 3
  static let moduleTable = 24
  static let memoryMapLength = 44  // valid if flags bit 6
  static let memoryMapAddress = 48
  static let flagCommandLine: UInt32 = 1 << 2
  static let flagModules: UInt32 = 1 << 3
  static let flagMemoryMap: UInt32 = 1 << 6
  static let memoryTypeAvailable: UInt32 = 1
}

/// Where the loader keeps the region table, after the BootInfo in its scratch page.
let regionTableOffset = 256
let maxRegions = (4096 - regionTableOffset) / 16

@_cdecl("loader_main")
func loaderMain(magic: UInt32, multibootInfo: UInt64, entryTSC: UInt64) -> Never {
  guard magic == MultibootInfo.bootloaderMagic else {
    fail("not booted by a Multiboot loader (use qemu -kernel)")
  }
  let info = UnsafeRawPointer(bitPattern: UInt(multibootInfo))!
  let flags = info.load(fromByteOffset: MultibootInfo.flags, as: UInt32.self)
  let scratch = loaderScratch()
  let bootInfo = scratch.bindMemory(to: BootInfo.self, capacity: 1)
  bootInfo.initialize(to: BootInfo())
  bootInfo.pointee.loaderEntryTSC = entryTSC
  bootInfo.pointee.cpuCount = FirmwareConfig.cpuCount()

  // Everything QEMU placed in memory must stay clear of the app: track the top.
  var used = max(loaderImageEnd(), multibootInfo + 88)

  if flags & MultibootInfo.flagCommandLine != 0 {
    let address = UInt64(info.load(fromByteOffset: MultibootInfo.commandLine, as: UInt32.self))
    var length: UInt64 = 0
    if let text = UnsafePointer<UInt8>(bitPattern: UInt(address)) {
      while text[Int(length)] != 0 && length < 4096 { length += 1 }
    }
    bootInfo.pointee.commandLine = address
    bootInfo.pointee.commandLineLength = length
    used = max(used, address + length + 1)
  }

  guard flags & MultibootInfo.flagModules != 0,
    info.load(fromByteOffset: MultibootInfo.moduleCount, as: UInt32.self) > 0
  else {
    fail("no app: pass the app ELF with -initrd")
  }
  let moduleCount = info.load(fromByteOffset: MultibootInfo.moduleCount, as: UInt32.self)
  let modules = UInt64(info.load(fromByteOffset: MultibootInfo.moduleTable, as: UInt32.self))
  used = max(used, modules + UInt64(moduleCount) * 16)
  for index in 0..<UInt64(moduleCount) {
    let entry = UnsafeRawPointer(bitPattern: UInt(modules + index * 16))!
    used = max(used, UInt64(entry.load(fromByteOffset: 4, as: UInt32.self)))
  }
  let module0 = UnsafeRawPointer(bitPattern: UInt(modules))!
  let fileStart = UInt64(module0.load(fromByteOffset: 0, as: UInt32.self))
  let fileEnd = UInt64(module0.load(fromByteOffset: 4, as: UInt32.self))
  bootInfo.pointee.appFileStart = fileStart
  bootInfo.pointee.appFileEnd = fileEnd

  // Usable RAM from the BIOS memory map (Multiboot §3.3, "mmap_*").
  guard flags & MultibootInfo.flagMemoryMap != 0 else { fail("no memory map from the boot loader") }
  let regions = (scratch + regionTableOffset).bindMemory(
    to: MemoryRegion.self, capacity: maxRegions)
  var regionCount = 0
  let mapAddress = UInt64(
    info.load(fromByteOffset: MultibootInfo.memoryMapAddress, as: UInt32.self))
  let mapLength = UInt64(info.load(fromByteOffset: MultibootInfo.memoryMapLength, as: UInt32.self))
  used = max(used, mapAddress + mapLength)
  var at = mapAddress
  while at + 24 <= mapAddress + mapLength && regionCount < maxRegions {
    let entry = UnsafeRawPointer(bitPattern: UInt(at))!
    let size = UInt64(entry.load(fromByteOffset: 0, as: UInt32.self))
    let base = entry.loadUnaligned(fromByteOffset: 4, as: UInt64.self)
    let length = entry.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
    let type = entry.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
    if type == MultibootInfo.memoryTypeAvailable && length > 0 {
      regions[regionCount] = MemoryRegion(start: base, end: base + length)
      regionCount += 1
    }
    at += size + 4
  }
  bootInfo.pointee.memoryRegions = UInt64(UInt(bitPattern: regions))
  bootInfo.pointee.memoryRegionCount = UInt64(regionCount)

  // Check the app, place it, load it.
  guard fileEnd > fileStart else { fail("the app file (-initrd) is empty") }
  let file = ELFFile(
    base: UnsafeRawPointer(bitPattern: UInt(fileStart))!, size: Int(fileEnd - fileStart))
  let span: ELFSpan
  do throws(ELFError) {
    span = try file.validate()
  } catch {
    fail(error.message)
  }
  used = (used + 0xfff) & ~0xfff
  let loadAddress = file.isPositionIndependent ? used : span.low
  if !file.isPositionIndependent && loadAddress < used {
    fail("the app's fixed load address overlaps the loader or its modules (link it as a PIE)")
  }
  let loadEnd = loadAddress + span.size
  var fits = false
  for index in 0..<regionCount
  where regions[index].start <= loadAddress && loadEnd <= regions[index].end {
    fits = true
  }
  guard fits else { fail("the app does not fit in RAM (give the guest more memory: -m)") }

  let entry: UInt64
  do throws(ELFError) {
    entry = try file.load(
      span: span, into: UnsafeMutableRawPointer(bitPattern: UInt(loadAddress))!,
      loadAddress: loadAddress)
  } catch {
    fail(error.message)
  }
  bootInfo.pointee.appStart = loadAddress
  bootInfo.pointee.appEnd = loadEnd
  bootInfo.pointee.appBias = loadAddress &- span.low
  bootInfo.pointee.freeStart = max(loadEnd, used)
  enterApp(entry, UInt64(UInt(bitPattern: scratch)))
  while true { hlt() }  // not reached: the app never returns to the loader
}

/// QEMU's firmware configuration device (docs/specs/fw_cfg.rst in QEMU): selector
/// at I/O port 0x510 (16-bit), data at 0x511 (8-bit reads, little endian).
enum FirmwareConfig {
  static let selectorPort: UInt16 = 0x510
  static let dataPort: UInt16 = 0x511
  static let keySignature: UInt16 = 0x00  // FW_CFG_SIGNATURE: "QEMU"
  static let keyCPUCount: UInt16 = 0x05  // FW_CFG_NB_CPUS: UInt16

  /// The number of CPUs QEMU was started with, or 1 without fw_cfg.
  static func cpuCount() -> UInt64 {
    outw(selectorPort, keySignature)
    guard inb(dataPort) == UInt8(ascii: "Q"), inb(dataPort) == UInt8(ascii: "E"),
      inb(dataPort) == UInt8(ascii: "M"), inb(dataPort) == UInt8(ascii: "U")
    else { return 1 }
    outw(selectorPort, keyCPUCount)
    let count = UInt64(inb(dataPort)) | UInt64(inb(dataPort)) << 8
    return max(count, 1)
  }
}

/// Prints `[LOADER] error: <message>` and ends the VM as a failure (docs/ABI.md).
func fail(_ message: StaticString) -> Never {
  write("[LOADER] error: ")
  write(message)
  write("\n")
  // Status record on the debugcon port, then isa-debug-exit: QEMU exits 255.
  let record: StaticString = "HERMIT-STATUS panic\n"
  record.withUTF8Buffer { bytes in
    for byte in bytes { outb(0xe9, byte) }
  }
  outb(0xf4, 0x7f)
  // No isa-debug-exit device: stop here rather than run into garbage.
  while true { hlt() }
}

@_extern(c, "hermit_halt") func hlt()

func write(_ text: StaticString) {
  text.withUTF8Buffer { bytes in
    for byte in bytes { writeByte(byte) }
  }
}

/// COM1 transmit, waiting for the holding register to empty (16550 LSR bit 5).
func writeByte(_ byte: UInt8) {
  while inb(0x3f8 + 5) & 0x20 == 0 {}
  outb(0x3f8, byte)
}
