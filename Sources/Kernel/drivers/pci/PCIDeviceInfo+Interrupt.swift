// For diagnostic and test apps that poke a PCI function themselves: its memory
// BAR mapped, and its interrupt (MSI-X when it has it, else INTx) routed to a
// handler. Kernel drivers use PCIFunction directly.

extension PCIDeviceInfo {
  /// Maps memory BAR `index` (uncached) and returns its address; nil for an I/O,
  /// unimplemented or unassigned BAR.
  public func mapMemoryBAR(_ index: Int) -> UInt? {
    guard let bar = function.bar(index), bar.kind != .io, bar.address != 0 else { return nil }
    Memory.mapDevice(bar.address, length: bar.size)
    function.enable(PCIFunction.commandMemorySpace)
    return UInt(bar.address)
  }

  /// Calls `handler` (with interrupts off, on whatever thread was running) for
  /// the function's interrupt; returns "msix" or "intx", nil if it has none.
  /// An INTx handler must quiet the device, the line is level-triggered.
  public func onInterrupt(name: StaticString, _ handler: @escaping () -> Void) -> StaticString? {
    switch function.onInterrupt(name: name, handler: handler) {
    case .msix: "msix"
    case .intx: "intx"
    case nil: nil
    }
  }
}
