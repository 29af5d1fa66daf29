// I/O APICs: route a device's interrupt line (a global system interrupt, GSI)
// to a vector on the boot core.
//
// Spec: Intel 82093AA I/O APIC datasheet §3.2 (IOREGSEL/IOWIN, IOAPICVER,
// IOREDTBL). ACPI 6.5 §5.2.12.3 (I/O APIC structure: address and GSI base),
// §5.2.12.5 (interrupt source overrides: ISA IRQ n may arrive on another GSI,
// with its own polarity and trigger mode).
// QEMU: `pc` has one I/O APIC at 0xFEC00000 (GSIs 0–23); `microvm` adds a
// second at 0xFEC10000 (GSIs 24–47) for its virtio-mmio transports.
import _Volatile

enum IOAPIC {
  static let registerSelect = 0x00  // IOREGSEL: index of the register IOWIN shows
  static let registerWindow = 0x10  // IOWIN: the selected register's data
  static let indexVersion: UInt32 = 0x01  // IOAPICVER: bits 23:16 = entries - 1
  static let indexRedirection: UInt32 = 0x10  // IOREDTBL[n]: 0x10 + 2n (low), +1 (high)
  // Redirection entry bits (datasheet §3.2.4).
  static let activeLow: UInt64 = 1 << 13  // INTPOL
  static let levelTriggered: UInt64 = 1 << 15  // TRIGGER MODE
  static let masked: UInt64 = 1 << 16  // INTERRUPT MASK
  static let maxControllers = 4

  struct Controller {
    var address: UInt64
    var gsiBase: UInt32
    var entries: UInt32
  }

  nonisolated(unsafe) static var controllers: [Controller] = []

  /// Records an I/O APIC from the MADT (or the machine's default).
  static func add(address: UInt64, gsiBase: UInt32) {
    guard controllers.count < maxControllers else { return }
    Memory.mapDevice(address, length: 4096)
    var controller = Controller(address: address, gsiBase: gsiBase, entries: 0)
    controller.entries = (read(controller, indexVersion) >> 16 & 0xFF) + 1
    controllers.append(controller)
  }

  /// Sends `gsi` to `vector` on the core whose APIC ID is `destination`
  /// (physical destination mode, fixed delivery). Edge-triggered, active high
  /// unless told otherwise. Returns false if no I/O APIC has that line.
  static func route(
    gsi: UInt32, vector: Int, destination: UInt32 = 0, level: Bool = false,
    activeLow: Bool = false
  ) -> Bool {
    guard
      let controller = controllers.first(where: {
        gsi >= $0.gsiBase && gsi < $0.gsiBase + $0.entries
      })
    else { return false }
    let pin = gsi - controller.gsiBase
    var low = UInt64(vector & 0xFF)
    if level { low |= levelTriggered }
    if activeLow { low |= self.activeLow }
    // High word first, then the unmasking low word (datasheet §3.2.4).
    write(controller, indexRedirection + 2 * pin + 1, destination << 24)
    write(controller, indexRedirection + 2 * pin, UInt32(truncatingIfNeeded: low))
    return true
  }

  private static func read(_ controller: Controller, _ index: UInt32) -> UInt32 {
    let base = UInt(controller.address)
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(registerSelect)).store(index)
    return VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(registerWindow)).load()
  }

  private static func write(_ controller: Controller, _ index: UInt32, _ value: UInt32) {
    let base = UInt(controller.address)
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(registerSelect)).store(index)
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(registerWindow)).store(value)
  }
}
