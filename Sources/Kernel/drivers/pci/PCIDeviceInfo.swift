// What an app (a diagnostic, a test) may see of the PCI bus: the functions the
// scan found, with their IDs, class, BARs, capabilities and INTx line. Reading
// it scans the bus once (PCIBus.swift). Iteration, not arrays of these types:
// see PCIBus.swift on array metadata.

public struct PCIDeviceInfo {
  public struct BAR {
    public var index: Int
    /// "io", "mem32" or "mem64".
    public var kind: StaticString
    public var address: UInt64
    public var size: UInt64
    public var prefetchable: Bool
  }

  let function: PCIFunction

  public var bus: UInt8 { function.bus }
  public var device: UInt8 { function.device }
  public var functionNumber: UInt8 { function.function }
  public var vendorID: UInt16 { function.vendor }
  public var deviceID: UInt16 { function.deviceIdentifier }
  public var classCode: UInt8 { function.classCode }
  public var subclass: UInt8 { function.subclass }
  /// MSI-X table entries, 0 without MSI-X.
  public var msixTableSize: Int { function.msixTableSize }
  /// The INTx line the function's interrupt arrives on, nil without one.
  public var interruptLine: UInt8? { function.interruptLineNumber }

  /// Capability IDs in list order (0x05 MSI, 0x10 PCI Express, 0x11 MSI-X, ...).
  public var capabilities: [UInt8] {
    var ids: [UInt8] = []
    function.forEachCapability { capability in
      ids.append(capability.id)
      return true
    }
    return ids
  }

  /// Calls `body` with each implemented BAR (sized as §6.2.5.1 says).
  public func forEachBAR(_ body: (BAR) -> Void) {
    function.forEachBAR { bar in
      let kind: StaticString =
        switch bar.kind {
        case .io: "io"
        case .memory32: "mem32"
        case .memory64: "mem64"
        }
      body(
        BAR(
          index: bar.index, kind: kind, address: bar.address, size: bar.size,
          prefetchable: bar.prefetchable))
    }
  }

  /// Calls `body` with every function on the bus.
  public static func forEach(_ body: (PCIDeviceInfo) -> Void) {
    for packed in PCIBus.functions { body(PCIDeviceInfo(function: PCIFunction(packed: packed))) }
  }

  /// How configuration space is reached: "ecam" (an ACPI MCFG) or "ports" (0xCF8/0xCFC).
  public static var configurationAccess: StaticString {
    _ = PCIBus.functions
    return PCIConfigSpace.usesECAM ? "ecam" : "ports"
  }
}
