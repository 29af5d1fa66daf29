// The two legacy 8259A interrupt controllers: remapped off the exception
// vectors, then every line masked, so that only the APICs deliver interrupts.
// A masked 8259 can still raise a spurious IRQ 7 (master) or IRQ 15 (slave)
// when a request goes away before the CPU acknowledges it; remapped, such an
// interrupt lands on Vector.picMaster + 7 or Vector.picSlave + 7, is counted
// and ignored, instead of passing for a CPU exception.
//
// Spec: Intel 8259A datasheet (231468), "Initialization Command Words" (ICW1-4,
// Figure 6), "Operation Command Words" (OCW1 mask, OCW2 EOI, OCW3 read ISR),
// and "Interrupt Sequence" (a request gone before INTA reads as IR7, without
// its in-service bit set). QEMU's microvm (`pic=on`, the default) and pc have
// both chips.

import Synchronization

/// Spurious IRQ 7 and 15 seen, on all cores (tests read it).
let picSpuriousCount = Atomic<Int>(0)

enum PIC {
  static let masterCommand: UInt16 = 0x20
  static let masterData: UInt16 = 0x21
  static let slaveCommand: UInt16 = 0xA0
  static let slaveData: UInt16 = 0xA1
  static let icw1Initialize: UInt8 = 0x11  // ICW1: initialization, ICW4 follows, cascaded, edge
  static let icw3SlaveOnIR2: UInt8 = 1 << 2  // master's ICW3: a slave on IR2
  static let icw3CascadeIdentity: UInt8 = 2  // slave's ICW3: it answers as IR2
  static let icw4Mode8086: UInt8 = 0x01  // ICW4: 8086/8088 mode, normal EOI
  static let ocw1MaskAll: UInt8 = 0xFF  // OCW1: every line masked
  static let ocw2EndOfInterrupt: UInt8 = 0x20  // OCW2: non-specific EOI
  static let ocw3ReadISR: UInt8 = 0x0B  // OCW3: the next command-port read is the ISR
  static let irq7: UInt8 = 1 << 7  // in-service bit of IR7 in either chip

  /// Remaps IRQ 0-7 to Vector.picMaster and 8-15 to Vector.picSlave, and masks
  /// every line. Boot core, interrupts off.
  static func remapAndMask() {
    outb(masterCommand, icw1Initialize)
    outb(slaveCommand, icw1Initialize)
    outb(masterData, UInt8(Vector.picMaster))  // ICW2: vector base
    outb(slaveData, UInt8(Vector.picSlave))
    outb(masterData, icw3SlaveOnIR2)
    outb(slaveData, icw3CascadeIdentity)
    outb(masterData, icw4Mode8086)
    outb(slaveData, icw4Mode8086)
    outb(masterData, ocw1MaskAll)
    outb(slaveData, ocw1MaskAll)
  }

  private static func inService(_ command: UInt16) -> UInt8 {
    outb(command, ocw3ReadISR)
    return inb(command)
  }

  /// An interrupt on one of the PICs' vectors (interrupts off). IRQ 7 or 15
  /// without its in-service bit is spurious: counted, and for IRQ 15 the
  /// master, which did see the slave's cascade request, gets its EOI. Any
  /// other (every line is masked) is acknowledged and dropped. A vector that
  /// came through the local APIC instead (an IPI) gets the APIC's EOI.
  static func handle(vector: Int) {
    if LocalAPIC.isInService(vector) { LocalAPIC.endOfInterrupt() }
    let isSlave = vector >= Vector.picSlave
    let line = vector - (isSlave ? Vector.picSlave : Vector.picMaster)
    if line == 7 && inService(isSlave ? slaveCommand : masterCommand) & irq7 == 0 {
      picSpuriousCount.add(1, ordering: .relaxed)
      if isSlave { outb(masterCommand, ocw2EndOfInterrupt) }
      return
    }
    if isSlave { outb(slaveCommand, ocw2EndOfInterrupt) }
    outb(masterCommand, ocw2EndOfInterrupt)
  }
}

/// The spurious 8259 interrupts counted so far: for tests, which have no Swift
/// API for them.
@_cdecl("hermit_spurious_pic_interrupts")
func spuriousPICInterrupts() -> Int { picSpuriousCount.load(ordering: .relaxed) }

/// Raises `vector` on this core through its local APIC, as a device would:
/// for tests of the interrupt paths (a guest has no other way to).
@_cdecl("hermit_raise_interrupt")
func raiseInterrupt(_ vector: Int) {
  guard vector >= Vector.firstExternal, vector < 256 else { return }
  LocalAPIC.sendSelf(vector)
}
