// What an app (a diagnostic, a test) may see of the PCI bus: the functions the
// scan found, with their IDs, class, BARs, capabilities and INTx line. Reading
// it scans the bus once (PCIBus.swift).

public struct PCIDeviceInfo {
  public struct BAR {
    public var index: Int
    /// "io", "mem32" or "mem64".
    public var kind: StaticString
    public var address: UInt64
    public var size: UInt64
    public var prefetchable: Bool
  }

  public var bus: UInt8
  public var device: UInt8
  public var function: UInt8
  public var vendorID: UInt16
  public var deviceID: UInt16
  public var classCode: UInt8
  public var subclass: UInt8
  public var bars: [BAR]
  /// Capability IDs in list order (0x05 MSI, 0x10 PCI Express, 0x11 MSI-X, ...).
  public var capabilities: [UInt8]
  /// MSI-X table entries, 0 without MSI-X.
  public var msixTableSize: Int
  /// The INTx line the firmware routed, nil without one.
  public var interruptLine: UInt8?

  /// Every function on the bus.
  public static func all() -> [PCIDeviceInfo] {
    PCIBus.functions.map { function in
      PCIDeviceInfo(
        bus: function.bus, device: function.device, function: function.function,
        vendorID: function.vendor, deviceID: function.deviceIdentifier,
        classCode: function.classCode, subclass: function.subclass,
        bars: function.bars.map { bar in
          let kind: StaticString =
            switch bar.kind {
            case .io: "io"
            case .memory32: "mem32"
            case .memory64: "mem64"
            }
          return BAR(
            index: bar.index, kind: kind, address: bar.address, size: bar.size,
            prefetchable: bar.prefetchable)
        },
        capabilities: function.capabilities.map { $0.id }, msixTableSize: function.msixTableSize,
        interruptLine: function.interruptLineNumber)
    }
  }

  /// How configuration space is reached: "ecam" (an ACPI MCFG) or "ports" (0xCF8/0xCFC).
  public static var configurationAccess: StaticString {
    _ = PCIBus.functions
    return PCIConfigSpace.usesECAM ? "ecam" : "ports"
  }
}
