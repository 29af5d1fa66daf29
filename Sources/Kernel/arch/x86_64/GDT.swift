// Global descriptor table and task state segment.
//
// Spec: Intel SDM vol. 3 §3.4.5 (segment descriptors), §7.2.3 (64-bit TSS),
// §6.14.5 (interrupt stack table). In long mode segmentation is flat; the GDT
// exists for the code segment's L bit and for the TSS, whose IST stacks let the
// double-fault and page-fault handlers run even when the kernel stack overflowed,
// and the NMI and machine-check handlers, which can arrive at any instruction
// (SDM §6.14.5 recommends a known good stack for both).

enum GDT {
  static let kernelCode: UInt16 = 0x08
  static let kernelData: UInt16 = 0x10
  static let taskState: UInt16 = 0x18

  /// IST slots (1-based, as the IDT gate's IST field).
  static let doubleFaultStack: UInt8 = 1
  static let pageFaultStack: UInt8 = 2
  static let nmiStack: UInt8 = 3
  static let machineCheckStack: UInt8 = 4
  static let istCount = 4
  static let stackSize = 16384

  /// Offset in `storage` of the core's index word, which IA32_GS_BASE points at
  /// (read by hermit_read_core_index).
  static let coreWordOffset = 256
  /// Offset in `storage` of the 64-byte block IA32_FS_BASE points at.
  static let threadBlockOffset = 512
  /// The stack protector's canary, the same on every core (a thread may move
  /// between cores): random, set once by the boot core before its tables load,
  /// with a NUL low byte so that string copies stop at it.
  nonisolated(unsafe) static var stackCanary: UInt64 = 0

  /// Picks the canary (boot core, once).
  static func chooseStackCanary(_ random: UInt64) {
    stackCanary = random & ~0xFF
  }

  /// Builds the GDT and TSS for core `core` in `storage` (zeroed, at least 576
  /// bytes, 16-byte aligned and never freed), loads them, points GS at the
  /// core's index word and FS at a block holding the stack protector's canary.
  static func load(storage: UnsafeMutableRawPointer, istStacks: UnsafeMutableRawPointer, core: Int)
  {
    let gdt = storage.bindMemory(to: UInt64.self, capacity: 5)
    let tss = storage + 64  // 104 bytes (SDM Figure 7-11)
    gdt[0] = 0
    gdt[1] = 0x00AF_9A00_0000_FFFF  // code: present, DPL 0, executable, L = 1
    gdt[2] = 0x00CF_9200_0000_FFFF  // data: present, writable
    // TSS descriptor, 16 bytes (SDM Figure 7-4): base, limit, type 9 (available).
    let base = UInt64(UInt(bitPattern: tss))
    let limit: UInt64 = 104 - 1
    gdt[3] =
      (limit & 0xFFFF) | ((base & 0xFF_FFFF) << 16) | (0x89 << 40) | ((base >> 24) & 0xFF) << 56
    gdt[4] = base >> 32
    // IST n at TSS offset 36 + 8 (n - 1); stacks grow down, so store their tops.
    for slot in 0..<istCount {
      let top = UInt64(UInt(bitPattern: istStacks)) + UInt64((slot + 1) * stackSize)
      tss.storeBytes(of: top, toByteOffset: 36 + 8 * slot, as: UInt64.self)
    }
    tss.storeBytes(of: UInt16(104), toByteOffset: 102, as: UInt16.self)  // no I/O bitmap

    let pointer = storage + 192  // the 10-byte pseudo-descriptor for lgdt
    pointer.storeBytes(of: UInt16(5 * 8 - 1), as: UInt16.self)
    pointer.storeBytes(of: UInt64(UInt(bitPattern: gdt)), toByteOffset: 2, as: UInt64.self)
    lgdt(pointer)
    reloadSegments(code: kernelCode, data: kernelData)
    ltr(taskState)
    // After reloadSegments: loading GS may reset its base (SDM §3.4.4).
    let coreWord = storage + coreWordOffset
    coreWord.storeBytes(of: core, as: Int.self)
    wrmsr(MSR.gsBase, UInt64(UInt(bitPattern: coreWord)))
    // FS: the block where code built with the stack protector (musl's libm
    // objects, runtime/libm.c) finds its canary, at %fs:0x28 as in glibc's and
    // musl's thread control block. The same value on every core.
    let threadBlock = storage + threadBlockOffset
    threadBlock.storeBytes(of: stackCanary, toByteOffset: 0x28, as: UInt64.self)
    wrmsr(MSR.fsBase, UInt64(UInt(bitPattern: threadBlock)))
  }
}
