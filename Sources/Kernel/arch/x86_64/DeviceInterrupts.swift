// Interrupts for drivers: a driver names its line (a GSI, an ISA IRQ, or an
// MSI-X vector it programs itself) and a handler; we pick a free vector,
// route the line through the I/O APIC to the boot core, and call the handler
// from kernel_trap. Handlers run with interrupts off on the interrupted
// thread's stack: they acknowledge the device and wake a thread (Event.signal),
// nothing longer. Whatever a handler touches must be initialized before
// interrupts are on: a Swift global initialized lazily (swift_once) spins a
// handler forever if the handler interrupted that global's own initializer
// (Scheduler.initializeBeforeInterrupts).

enum Interrupts {
  /// Vectors handed to devices: above the kernel's own (Vector.timer, .wakeUp).
  static let firstDeviceVector = 48
  static let lastDeviceVector = Vector.picMaster - 1

  struct Handler {
    var name: StaticString
    var body: () -> Void
  }

  nonisolated(unsafe) static var handlers: [Handler?] = []
  nonisolated(unsafe) static var nextVector = firstDeviceVector

  /// Reserves a vector for `handler`; returns it, or nil when all are taken.
  static func allocate(name: StaticString, handler: @escaping () -> Void) -> Int? {
    guard nextVector <= lastDeviceVector else { return nil }
    if handlers.isEmpty { handlers = [Handler?](repeating: nil, count: 256) }
    let vector = nextVector
    nextVector += 1
    handlers[vector] = Handler(name: name, body: handler)
    return vector
  }

  /// Calls `handler` whenever global system interrupt `gsi` fires.
  /// Level-triggered lines (virtio-mmio, PCI INTx) stay asserted until the
  /// device is acknowledged: the handler must do that.
  @discardableResult
  static func register(
    gsi: UInt32, level: Bool = false, activeLow: Bool = false, name: StaticString,
    handler: @escaping () -> Void
  ) -> Bool {
    guard let vector = allocate(name: name, handler: handler) else { return false }
    return IOAPIC.route(
      gsi: gsi, vector: vector, destination: SMP.apicID(ofCore: 0), level: level,
      activeLow: activeLow)
  }

  /// Calls `handler` for ISA IRQ `irq` (after the MADT's source overrides).
  @discardableResult
  static func register(isaIRQ irq: UInt8, name: StaticString, handler: @escaping () -> Void)
    -> Bool
  {
    let line = ACPI.isaInterrupt(irq)
    return register(
      gsi: line.gsi, level: line.level, activeLow: line.activeLow, name: name, handler: handler)
  }

  /// Runs the handler of a device vector; false if none is registered.
  static func dispatch(_ vector: Int) -> Bool {
    guard vector < handlers.count, let handler = handlers[vector] else { return false }
    handler.body()
    return true
  }

  /// The name a vector has in the shutdown statistics, if any.
  static func name(of vector: Int) -> StaticString? {
    switch vector {
    case Vector.timer: return "Timer"
    case Vector.wakeUp: return "Wakeup"
    default:
      guard vector < handlers.count, let handler = handlers[vector] else { return nil }
      return handler.name
    }
  }
}
