// Interrupt descriptor table: 256 interrupt gates pointing at the stubs in
// Trap.asm. Spec: Intel SDM vol. 3 §6.14.1 (64-bit mode IDT), Figure 6-8.

@_extern(c, "hermit_trap_vectors") func trapVectors() -> UInt64

/// Each entry stub in Trap.asm is 16 bytes long.
let trapStubSize: UInt64 = 16

enum IDT {
  static let gatePresentInterrupt: UInt64 = 0x8E  // P = 1, DPL 0, type 0xE (interrupt gate)

  /// Fills `storage` (4096 + 16 bytes, never freed) with the IDT and loads it.
  static func load(storage: UnsafeMutableRawPointer) {
    let entries = storage.bindMemory(to: UInt64.self, capacity: 512)
    let stubs = trapVectors()
    for vector in 0..<256 {
      let handler = stubs + UInt64(vector) * trapStubSize
      var ist: UInt64 = 0
      if vector == Vector.doubleFault { ist = UInt64(GDT.doubleFaultStack) }
      if vector == Vector.pageFault { ist = UInt64(GDT.pageFaultStack) }
      if vector == Vector.nmi { ist = UInt64(GDT.nmiStack) }
      if vector == Vector.machineCheck { ist = UInt64(GDT.machineCheckStack) }
      entries[vector * 2] =
        (handler & 0xFFFF) | (UInt64(GDT.kernelCode) << 16) | (ist << 32)
        | (gatePresentInterrupt << 40) | ((handler >> 16) & 0xFFFF) << 48
      entries[vector * 2 + 1] = handler >> 32
    }
    let pointer = storage + 4096
    pointer.storeBytes(of: UInt16(4096 - 1), as: UInt16.self)
    pointer.storeBytes(of: UInt64(UInt(bitPattern: entries)), toByteOffset: 2, as: UInt64.self)
    lidt(pointer)
  }

  /// Loads an IDT that `load(storage:)` built, on another core: all cores share it.
  static func reload(storage: UnsafeMutableRawPointer) { lidt(storage + 4096) }
}
