// Physical memory: the frame allocator over the loader's memory map, and the
// kernel's own page tables. Physical and virtual addresses are equal (identity
// map); see BootInfo.swift for the address map.

@_extern(c, "hermit_boot_stack_guard") func bootStackGuard() -> UInt64

enum Memory {
  static let frameSize: UInt64 = 4096
  static let maxRegions = 32

  nonisolated(unsafe) static var regions = (UnsafeMutablePointer<MemoryRegion>?).none
  nonisolated(unsafe) static var regionCount = 0
  /// Next free frame, and the end of the region it lies in.
  nonisolated(unsafe) static var nextFrame: UInt64 = 0
  nonisolated(unsafe) static var regionEnd: UInt64 = 0
  nonisolated(unsafe) static var appStart: UInt64 = 0
  nonisolated(unsafe) static var appEnd: UInt64 = 0
  nonisolated(unsafe) static var appBias: UInt64 = 0
  nonisolated(unsafe) static var totalBytes: UInt64 = 0
  nonisolated(unsafe) static var mappedEnd: UInt64 = 0
  /// Whether the page tables use XD (the CPU has NX).
  nonisolated(unsafe) static var noExecute = false

  /// Takes over the memory map; frames start at `bootInfo.freeStart`.
  static func initialize(_ bootInfo: BootInfo) {
    appStart = bootInfo.appStart
    appEnd = bootInfo.appEnd
    appBias = bootInfo.appBias
    let source = UnsafePointer<MemoryRegion>(bitPattern: UInt(bootInfo.memoryRegions))!
    let first = (bootInfo.freeStart + frameSize - 1) & ~(frameSize - 1)
    // The region table lives in the loader's memory: copy the part we use into
    // the first free frame, before anything can overwrite it.
    let table = UnsafeMutablePointer<MemoryRegion>(bitPattern: UInt(first))!
    var count = 0
    for index in 0..<min(Int(bootInfo.memoryRegionCount), maxRegions) {
      let region = source[index]
      totalBytes += region.end - region.start
      if region.end > first {
        table[count] = region
        count += 1
      }
    }
    regions = table
    regionCount = count
    for index in 0..<count where table[index].start <= first && first < table[index].end {
      regionEnd = table[index].end & ~(frameSize - 1)
    }
    nextFrame = first + frameSize
    guard regionEnd > nextFrame else { panic("memory: no usable RAM after the app") }
  }

  /// One 4 KiB frame, zeroed. Frames are never returned: they hold page tables,
  /// descriptor tables and stacks that live as long as the kernel.
  static func allocateZeroedFrame() -> UnsafeMutablePointer<UInt64> {
    let frame = allocateFrames(1)
    frame.initializeMemory(as: UInt8.self, repeating: 0, count: Int(frameSize))
    return frame.bindMemory(to: UInt64.self, capacity: 512)
  }

  static func allocateFrames(_ count: Int) -> UnsafeMutableRawPointer {
    let bytes = UInt64(count) * frameSize
    if regionEnd - nextFrame < bytes && Heap.arenaEnd > Heap.arenaStart {
      // After boot the heap owns the free frames: take aligned, never-freed memory
      // from it (page tables for device mappings made later).
      return UnsafeMutableRawPointer.allocate(byteCount: Int(bytes), alignment: Int(frameSize))
    }
    guard regionEnd - nextFrame >= bytes else { panic("memory: out of physical frames") }
    let frame = nextFrame
    nextFrame += bytes
    return UnsafeMutableRawPointer(bitPattern: UInt(frame))!
  }

  /// Everything left in the current region, for the heap.
  static func takeRemaining() -> (start: UInt64, end: UInt64) {
    let range = (nextFrame, regionEnd)
    nextFrame = regionEnd
    return range
  }

  /// Calls `body` with each region of RAM above the current one (RAM above
  /// 4 GiB, where QEMU puts what does not fit below its PCI hole), page-aligned.
  static func forEachRegionAbove(_ end: UInt64, _ body: (UInt64, UInt64) -> Void) {
    for index in 0..<regionCount where regions![index].start >= end {
      let start = (regions![index].start + frameSize - 1) & ~(frameSize - 1)
      let stop = regions![index].end & ~(frameSize - 1)
      if stop > start { body(start, stop) }
    }
  }

  /// Builds and activates page tables: RAM identity-mapped, no-execute except the
  /// app's code, the app's segments W^X, page 0 and the stack guard unmapped,
  /// local APIC and I/O APIC uncached; then sets CR0.WP so that W^X binds the
  /// kernel as well.
  static func enablePaging(appFile: ELFFile?) {
    noExecute = CPUID.hasNoExecute
    if noExecute { wrmsr(MSR.efer, rdmsr(MSR.efer) | EFER.noExecuteEnable) }
    let tables = PageTables(noExecute: noExecute)
    var top: UInt64 = 0
    for index in 0..<regionCount { top = max(top, regions![index].end) }
    top = (top + PageTables.hugePageSize - 1) & ~(PageTables.hugePageSize - 1)
    let guardPage = bootStackGuard()
    var chunk: UInt64 = 0
    while chunk < top {
      let chunkEnd = chunk + PageTables.hugePageSize
      let fine =
        chunk == 0 || (appStart < chunkEnd && chunk < appEnd)
        || (guardPage >= chunk && guardPage < chunkEnd)
      if !fine {
        tables.mapHuge(chunk, flags: tables.dataFlags)
      } else {
        tables.mapFine(chunk, flags: tables.dataFlags)
        if chunk == 0 { tables.map(0, flags: 0) }  // null pointers fault
        if guardPage >= chunk && guardPage < chunkEnd { tables.map(guardPage, flags: 0) }
      }
      chunk = chunkEnd
    }
    if let appFile { mapAppSegments(appFile, tables: tables) }
    mappedEnd = top
    // MMIO: local APIC (SDM §11.4.1) and I/O APIC (82093AA datasheet §3.0).
    let apic = LocalAPIC.physicalBase & ~(PageTables.hugePageSize - 1)
    tables.mapHuge(apic, flags: tables.deviceFlags)
    tables.mapHuge(0xFEC0_0000 & ~(PageTables.hugePageSize - 1), flags: tables.deviceFlags)
    tables.activate()
    ControlRegisters.load()  // WP: read-only pages hold in ring 0 too; caches on
  }

  /// Gives the app's pages the permissions of their PT_LOAD segments (W^X). A
  /// page two segments share gets the union of both (PageEntry.fromSegment marks
  /// pages already given a segment's flags). One pass per segment, not per page:
  /// boot time under TCG is dominated by code that runs, so keep it short.
  private static func mapAppSegments(_ file: ELFFile, tables: PageTables) {
    for index in 0..<file.programHeaderCount {
      let segment = file.segment(index)
      guard segment.type == ELFFile.segmentLoad, segment.memorySize > 0 else { continue }
      var page = (segment.virtualAddress &+ appBias) & ~(frameSize - 1)
      let end = segment.end &+ appBias
      let flags = tables.flags(segmentFlags: segment.flags) | PageEntry.fromSegment
      while page < end {
        let current = tables.entry(page)
        var merged = flags
        if current & PageEntry.fromSegment != 0 {
          merged |= current & PageEntry.writable  // writable if either is
          if current & PageEntry.noExecute == 0 { merged &= ~PageEntry.noExecute }
        }
        tables.map(page, flags: merged)
        page += frameSize
      }
    }
  }

  /// Maps the AP start-up page executable (true) or back to plain data (false).
  /// The page lies in the first 2 MiB, which enablePaging maps with 4 KiB pages.
  static func setTrampolineExecutable(_ page: UInt64, _ executable: Bool) {
    let tables = PageTables.active(noExecute: noExecute)
    let flags =
      executable ? PageEntry.present | PageEntry.writable : tables.dataFlags
    tables.map(page, flags: flags)
    PageTables.flush()
  }

  /// Serializes `setGuardPage` (created on the first thread's spawn).
  nonisolated(unsafe) static var pagingLock = SpinLock()

  /// Unmaps the heap page at `page` (a thread stack's guard: overflow faults)
  /// or maps it again before the heap takes the memory back.
  static func setGuardPage(_ page: UnsafeMutableRawPointer, _ isGuard: Bool) {
    let spare = UnsafeMutableRawPointer.allocate(
      byteCount: Int(frameSize), alignment: Int(frameSize))
    spare.initializeMemory(as: UInt8.self, repeating: 0, count: Int(frameSize))
    let interruptsWereEnabled = pagingLock.acquire()
    let tables = PageTables.active(noExecute: noExecute)
    let split = tables.remap(
      UInt64(UInt(bitPattern: page)), flags: isGuard ? 0 : tables.dataFlags,
      newTable: spare.bindMemory(to: UInt64.self, capacity: 512))
    pagingLock.release(interruptsWereEnabled: interruptsWereEnabled)
    if !split { spare.deallocate() }
  }

  static func isMapped(_ address: UInt64, length: UInt64) -> Bool {
    address >= frameSize && address < mappedEnd && mappedEnd - address >= length
      && !isStackGuard(address)
  }

  /// Whether `address` lies in the guard page of a core's start-up stack: the
  /// boot stack's (Start.asm) or another core's (SMP.swift).
  static func isStackGuard(_ address: UInt64) -> Bool {
    let page = address & ~(frameSize - 1)
    if page == bootStackGuard() { return true }
    for core in 1..<Arch.onlineCores where coreStackGuard(core) == page { return true }
    return false
  }

  static func isInApp(_ address: UInt64) -> Bool { address >= appStart && address < appEnd }
}
