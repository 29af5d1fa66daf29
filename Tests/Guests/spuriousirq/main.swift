// The 8259s' spurious vectors (IRQ 7 and 15, remapped) are counted and
// ignored, not reported as CPU exceptions: raised here through the local APIC
// (the kernel's test hook), twice IRQ 7 and once IRQ 15. The in-service bits
// of the (masked) 8259s are clear, as for a real spurious interrupt.
import Kernel

@_extern(c, "hermit_raise_interrupt") func raiseInterrupt(_ vector: Int)
@_extern(c, "hermit_spurious_pic_interrupts") func spuriousPICInterrupts() -> Int

let irq7 = 0xE0 + 7
let irq15 = 0xE8 + 7
raiseInterrupt(irq7)
raiseInterrupt(irq15)
raiseInterrupt(irq7)
var spins = 0
while spuriousPICInterrupts() < 3 && spins < 1_000_000 { spins += 1 }
print("spurious PIC interrupts: \(spuriousPICInterrupts())")
sleep(milliseconds: 5)  // the timer still works after them
print("still running")
