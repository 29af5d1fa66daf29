// Device memory: registers at physical addresses outside RAM (virtio-mmio
// transports, I/O APICs, PCI BARs), identity-mapped uncached on demand.

extension Memory {
  /// Serializes mapDevice against itself (tables may be created).
  nonisolated(unsafe) static var deviceLock = SpinLock()

  /// Maps `[address, address + length)` to itself, uncached and never executed,
  /// in 2 MiB pages (device windows do not share a 2 MiB page with RAM on the
  /// machines we run on: QEMU places them above 3.5 GiB). Leaves RAM alone.
  static func mapDevice(_ address: UInt64, length: UInt64) {
    let huge = PageTables.hugePageSize
    var chunk = address & ~(huge - 1)
    let end = address &+ max(length, 1)
    let interruptsWereEnabled = deviceLock.acquire()
    let tables = PageTables.active(noExecute: noExecute)
    while chunk < end {
      if chunk >= mappedEnd { tables.mapHuge(chunk, flags: tables.deviceFlags) }
      chunk += huge
    }
    deviceLock.release(interruptsWereEnabled: interruptsWereEnabled)
    PageTables.flush()
  }
}
