// Four-level page tables: identity map of RAM with NX and W^X, page 0 and the
// boot stack's guard page left unmapped, device pages uncached.
//
// Spec: Intel SDM vol. 3 §4.5 (4-level paging), Table 4-19/4-17 (entry bits),
// §4.6 (access rights; XD needs IA32_EFER.NXE), §11.12.4 (PCD/PWT for MMIO).
// The loader's tables (Boot.asm) map 4 GiB RWX; these replace them.

enum PageEntry {
  static let present: UInt64 = 1 << 0
  static let writable: UInt64 = 1 << 1
  static let writeThrough: UInt64 = 1 << 3  // PWT
  static let cacheDisable: UInt64 = 1 << 4  // PCD
  static let huge: UInt64 = 1 << 7  // PS: 2 MiB page in a page directory
  static let fromSegment: UInt64 = 1 << 9  // ignored by the CPU (SDM Table 4-20): ours
  static let noExecute: UInt64 = 1 << 63  // XD
  static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
}

struct PageTables {
  static let pageSize: UInt64 = 4096
  static let hugePageSize: UInt64 = 2 << 20

  let root: UnsafeMutablePointer<UInt64>
  let noExecute: UInt64

  init(noExecute: Bool) {
    root = Memory.allocateZeroedFrame()
    self.noExecute = noExecute ? PageEntry.noExecute : 0
  }

  /// The tables in use (CR3).
  static func active(noExecute: Bool) -> PageTables {
    PageTables(
      root: UnsafeMutablePointer(bitPattern: UInt(readCR3() & PageEntry.addressMask))!,
      noExecute: noExecute ? PageEntry.noExecute : 0)
  }

  private init(root: UnsafeMutablePointer<UInt64>, noExecute: UInt64) {
    self.root = root
    self.noExecute = noExecute
  }

  /// The table `entry` points to, created if missing.
  private func table(_ parent: UnsafeMutablePointer<UInt64>, _ index: Int)
    -> UnsafeMutablePointer<UInt64>
  {
    if parent[index] & PageEntry.present == 0 {
      let child = Memory.allocateZeroedFrame()
      parent[index] = UInt64(UInt(bitPattern: child)) | PageEntry.present | PageEntry.writable
    }
    return UnsafeMutablePointer(bitPattern: UInt(parent[index] & PageEntry.addressMask))!
  }

  private func directory(for address: UInt64) -> UnsafeMutablePointer<UInt64> {
    let pdpt = table(root, Int((address >> 39) & 511))
    return table(pdpt, Int((address >> 30) & 511))
  }

  /// Maps the 2 MiB page at `address` (aligned) to itself with `flags`.
  func mapHuge(_ address: UInt64, flags: UInt64) {
    directory(for: address)[Int((address >> 21) & 511)] =
      address | flags | PageEntry.present | PageEntry.huge
  }

  /// Maps the 2 MiB chunk at `address` (aligned) to itself with 4 KiB pages,
  /// all with `flags`, filling its page table in one loop.
  func mapFine(_ address: UInt64, flags: UInt64) {
    let pt = table(directory(for: address), Int((address >> 21) & 511))
    for index in 0..<512 { pt[index] = (address + UInt64(index) << 12) | flags }
  }

  /// Maps the 4 KiB page at `address` to itself with `flags`; `flags` without
  /// `present` leaves it unmapped.
  func map(_ address: UInt64, flags: UInt64) {
    let pd = directory(for: address)
    let pt = table(pd, Int((address >> 21) & 511))
    pt[Int((address >> 12) & 511)] = flags == 0 ? 0 : address | flags
  }

  /// Sets the 4 KiB page at `address`, which enablePaging mapped, to `flags`
  /// (0: not present) and drops this core's stale TLB entry. If a 2 MiB page
  /// covers it, that one is first split into 512 pages with its flags, in
  /// `newTable`; returns whether `newTable` was used (it then belongs to the tables).
  ///
  /// - Safety: the caller serializes changes to the tables; `newTable` is 4096
  ///   bytes, 4096-aligned, and unused. Other cores may keep the old mapping in
  ///   their TLBs (no shootdown): fine for equal mappings and for a page made
  ///   present again (x86 TLBs never hold not-present entries, SDM §4.10.2.1);
  ///   for a page made not present, each core drops its entry itself before it
  ///   relies on the fault (the scheduler does, for a stack's guard page).
  func remap(_ address: UInt64, flags: UInt64, newTable: UnsafeMutablePointer<UInt64>) -> Bool {
    let pd = directory(for: address)
    let index = Int((address >> 21) & 511)
    var split = false
    if pd[index] & PageEntry.huge != 0 {
      // Same frames and rights in 4 KiB entries; bit 7 (PS in a PDE) is PAT in
      // a PTE and bit 12 (PAT in a PDE) an address bit: we set neither.
      let base = pd[index] & PageEntry.addressMask & ~(PageTables.hugePageSize - 1)
      let entryFlags = pd[index] & ~PageEntry.addressMask & ~PageEntry.huge
      for page in 0..<512 {
        newTable[page] = (base + UInt64(page) * PageTables.pageSize) | entryFlags
      }
      pd[index] = UInt64(UInt(bitPattern: newTable)) | PageEntry.present | PageEntry.writable
      split = true
    }
    let pt = UnsafeMutablePointer<UInt64>(bitPattern: UInt(pd[index] & PageEntry.addressMask))!
    pt[Int((address >> 12) & 511)] = flags == 0 ? 0 : address | flags
    invalidatePage(address)
    return split
  }

  /// The 4 KiB page table entry for `address` (it must be mapped with 4 KiB pages).
  func entry(_ address: UInt64) -> UInt64 {
    let pd = directory(for: address)
    let pt = table(pd, Int((address >> 21) & 511))
    return pt[Int((address >> 12) & 511)]
  }

  /// Flags for ordinary data: present, writable, never executed.
  var dataFlags: UInt64 { PageEntry.present | PageEntry.writable | noExecute }
  /// Flags for device registers: data, uncached.
  var deviceFlags: UInt64 { dataFlags | PageEntry.cacheDisable | PageEntry.writeThrough }

  /// Flags for an app page from its ELF segment's p_flags (W^X).
  func flags(segmentFlags: UInt32) -> UInt64 {
    var flags = PageEntry.present
    if segmentFlags & ELFFile.flagWrite != 0 { flags |= PageEntry.writable }
    if segmentFlags & ELFFile.flagExecute == 0 { flags |= noExecute }
    return flags
  }

  func activate() { writeCR3(UInt64(UInt(bitPattern: root))) }

  /// Flushes this core's TLB (non-global entries) by reloading CR3 (SDM §4.10.4.1).
  static func flush() { writeCR3(readCR3()) }
}
