// The virtio PCI transport, modern interface only (virtio 1.2 §4.1, "Virtio
// Over PCI Bus"). A device is a PCI function of vendor 0x1AF4 whose registers
// sit in its memory BARs; vendor-specific capabilities (ID 0x09, §4.1.4) say
// which BAR and offset hold each structure:
//
// - COMMON_CFG (§4.1.4.3): features, device status, queue setup;
// - NOTIFY (§4.1.4.4): queue q is notified by a 16-bit write of q at
//   offset + queue_notify_off(q) × notify_off_multiplier;
// - ISR (§4.1.4.5): one byte, read to acknowledge an INTx interrupt;
// - DEVICE_CFG (§4.1.4.6): the device-specific configuration (virtio-net's MAC).
//
// Interrupts: MSI-X when the function has it (both queues on table entry 0,
// §4.1.5.1.2), else INTx, level-triggered, lowered by reading the ISR.
// QEMU's virtio-net-pci with `disable-legacy=on` puts all four structures in
// BAR4 (64-bit, 16 KiB) and the MSI-X table in BAR1; under qboot the kernel
// assigns both (PCIBus+Resources.swift).
import _Volatile

final class VirtioPCI: VirtioTransport {
  static let vendorID: UInt16 = 0x1AF4  // Red Hat, Inc. (§4.1.2)
  /// §4.1.2.1: modern device IDs are 0x1040 + the virtio device ID; transitional
  /// ones are 0x1000–0x103F (with the device ID in the subsystem ID).
  static let modernDeviceBase: UInt16 = 0x1040
  static let transitionalNetwork: UInt16 = 0x1000
  static let subsystemID: UInt16 = 0x2E  // PCI header, type 0: subsystem ID (16 bits)

  // Vendor capability (§4.1.4, struct virtio_pci_cap).
  static let capType = 3  // cfg_type, 8 bits
  static let capBAR = 4  // bar, 8 bits
  static let capOffset = 8  // offset, 32 bits
  static let capLength = 12  // length, 32 bits
  static let capNotifyMultiplier = 16  // virtio_pci_notify_cap: notify_off_multiplier
  static let typeCommon: UInt8 = 1  // VIRTIO_PCI_CAP_COMMON_CFG
  static let typeNotify: UInt8 = 2  // VIRTIO_PCI_CAP_NOTIFY_CFG
  static let typeISR: UInt8 = 3  // VIRTIO_PCI_CAP_ISR_CFG
  static let typeDevice: UInt8 = 4  // VIRTIO_PCI_CAP_DEVICE_CFG

  // Common configuration (§4.1.4.3, struct virtio_pci_common_cfg).
  static let deviceFeatureSelect = 0x00  // le32
  static let deviceFeature = 0x04  // le32
  static let driverFeatureSelect = 0x08  // le32
  static let driverFeature = 0x0C  // le32
  static let configMSIXVector = 0x10  // le16
  static let deviceStatus = 0x14  // u8
  static let queueSelect = 0x16  // le16
  static let queueSize = 0x18  // le16
  static let queueMSIXVector = 0x1A  // le16
  static let queueEnable = 0x1C  // le16
  static let queueNotifyOff = 0x1E  // le16
  static let queueDesc = 0x20  // le64
  static let queueDriver = 0x28  // le64: the available ring
  static let queueDevice = 0x30  // le64: the used ring
  static let noVector: UInt16 = 0xFFFF  // VIRTIO_MSI_NO_VECTOR

  let pci: PCIFunction
  let common: UInt
  let notifyBase: UInt
  let notifyMultiplier: UInt32
  let isr: UInt
  let device: UInt
  /// Each activated queue's notification address, by queue index.
  var notifyAddresses: [UInt] = []
  /// Whether queues were pointed at MSI-X table entry 0.
  var queuesUseMSIX = false

  /// The first PCI function that is virtio device `type` (1: network card)
  /// and has the modern structures, or nil.
  static func find(deviceType type: UInt16) -> VirtioPCI? {
    for packed in PCIBus.functions {
      let function = PCIFunction(packed: packed)
      guard function.vendor == vendorID else { continue }
      let id = function.deviceIdentifier
      let matches =
        id == modernDeviceBase + type
        || (id == transitionalNetwork + type - 1 && function.read16(subsystemID) == type)
      if matches, let transport = VirtioPCI(function) { return transport }
    }
    return nil
  }

  /// Locates the four structures (§4.1.4: "The driver SHOULD use the first
  /// instance of each virtio structure type it can support"); nil if one is
  /// missing or its BAR is not a memory BAR the kernel could assign.
  private init?(_ function: PCIFunction) {
    pci = function
    var common: UInt? = nil
    var notify: (UInt, UInt32)? = nil
    var isr: UInt? = nil
    var device: UInt? = nil
    function.forEachCapability { capability in
      guard capability.id == PCIFunction.capabilityVendor else { return true }
      let at = capability.offset
      let type = function.read8(at + UInt16(Self.capType))
      // "The driver MUST ignore any vendor-specific capability structure which
      // has a reserved bar value" (0x0–0x5 are the BARs).
      guard let address = Self.structureAddress(function, capability: at) else { return true }
      switch type {
      case Self.typeCommon where common == nil: common = address
      case Self.typeNotify where notify == nil:
        notify = (address, function.read32(at + UInt16(Self.capNotifyMultiplier)))
      case Self.typeISR where isr == nil: isr = address
      case Self.typeDevice where device == nil: device = address
      default: break
      }
      return true
    }
    guard let common, let notify, let isr, let device else { return nil }
    self.common = common
    (notifyBase, notifyMultiplier) = notify
    self.isr = isr
    self.device = device
    // Registers in memory space; the device reads and writes queues (DMA).
    function.enable(PCIFunction.commandMemorySpace | PCIFunction.commandBusMaster)
  }

  /// The virtual (= physical) address a vendor capability points at, its BAR mapped.
  private static func structureAddress(_ function: PCIFunction, capability at: UInt16) -> UInt? {
    let index = Int(function.read8(at + UInt16(capBAR)))
    guard index <= 5, let bar = function.bar(index), bar.kind != .io, bar.address != 0 else {
      return nil
    }
    let offset = UInt64(function.read32(at + UInt16(capOffset)))
    let length = UInt64(function.read32(at + UInt16(capLength)))
    guard offset + length <= bar.size else { return nil }
    Memory.mapDevice(bar.address, length: bar.size)
    return UInt(bar.address + offset)
  }

  func readStatus() -> UInt8 { load(common + UInt(Self.deviceStatus), as: UInt8.self) }

  func writeStatus(_ status: UInt8) { store(common + UInt(Self.deviceStatus), status) }

  var offeredFeatures: UInt64 {
    store(common + UInt(Self.deviceFeatureSelect), UInt32(0))
    let low = UInt64(load(common + UInt(Self.deviceFeature), as: UInt32.self))
    store(common + UInt(Self.deviceFeatureSelect), UInt32(1))
    return UInt64(load(common + UInt(Self.deviceFeature), as: UInt32.self)) << 32 | low
  }

  func accept(features: UInt64) {
    store(common + UInt(Self.driverFeatureSelect), UInt32(0))
    store(common + UInt(Self.driverFeature), UInt32(truncatingIfNeeded: features))
    store(common + UInt(Self.driverFeatureSelect), UInt32(1))
    store(common + UInt(Self.driverFeature), UInt32(truncatingIfNeeded: features >> 32))
  }

  /// queue_size reads as the device's maximum after reset (§4.1.4.3); 0: no queue.
  func maximumQueueSize(_ index: Int) -> Int {
    store(common + UInt(Self.queueSelect), UInt16(index))
    return Int(load(common + UInt(Self.queueSize), as: UInt16.self))
  }

  /// §4.1.5.1.3 "Virtqueue Configuration": select, size, vector, the three
  /// addresses, then queue_enable = 1.
  func activate(queue index: Int, _ queue: Virtqueue) {
    store(common + UInt(Self.queueSelect), UInt16(index))
    store(common + UInt(Self.queueSize), UInt16(queue.size))
    if pci.capability(PCIFunction.capabilityMSIX) != nil {
      // §4.1.5.1.2: the device answers NO_VECTOR when it could not map it.
      store(common + UInt(Self.queueMSIXVector), UInt16(0))
      queuesUseMSIX = load(common + UInt(Self.queueMSIXVector), as: UInt16.self) == 0
    }
    let (descriptors, available, used) = queue.addresses
    store(common + UInt(Self.queueDesc), descriptors)
    store(common + UInt(Self.queueDriver), available)
    store(common + UInt(Self.queueDevice), used)
    let notifyOffset = load(common + UInt(Self.queueNotifyOff), as: UInt16.self)
    while notifyAddresses.count <= index { notifyAddresses.append(0) }
    notifyAddresses[index] = notifyBase + UInt(UInt32(notifyOffset) &* notifyMultiplier)
    store(common + UInt(Self.queueEnable), UInt16(1))
  }

  func notify(queue index: Int) { store(notifyAddresses[index], UInt16(index)) }

  func readConfigByte(_ offset: Int) -> UInt8 { load(device + UInt(offset), as: UInt8.self) }

  /// MSI-X entry 0 when the queues took it (no acknowledgement: a message is
  /// an edge); else INTx, which stays asserted until the ISR is read
  /// (§4.1.4.5.1: "the device MUST reset ISR status to 0 on driver read").
  func onInterrupt(name: StaticString, _ handler: @escaping () -> Void) -> Bool {
    if queuesUseMSIX && pci.enableMSIX(name: name, handler: handler) { return true }
    let isr = self.isr
    let route = pci.onInterrupt(name: name, allowMSIX: false) {
      _ = VolatileMappedRegister<UInt8>(unsafeBitPattern: isr).load()
      handler()
    }
    return route != nil
  }

  private func load(_ address: UInt, as: UInt8.Type) -> UInt8 {
    VolatileMappedRegister<UInt8>(unsafeBitPattern: address).load()
  }
  private func load(_ address: UInt, as: UInt16.Type) -> UInt16 {
    VolatileMappedRegister<UInt16>(unsafeBitPattern: address).load()
  }
  private func load(_ address: UInt, as: UInt32.Type) -> UInt32 {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: address).load()
  }
  private func store(_ address: UInt, _ value: UInt8) {
    VolatileMappedRegister<UInt8>(unsafeBitPattern: address).store(value)
  }
  private func store(_ address: UInt, _ value: UInt16) {
    VolatileMappedRegister<UInt16>(unsafeBitPattern: address).store(value)
  }
  private func store(_ address: UInt, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: address).store(value)
  }
  /// §4.1.3.1: a 64-bit field is written as two 32-bit halves, low first.
  private func store(_ address: UInt, _ value: UInt64) {
    store(address, UInt32(truncatingIfNeeded: value))
    store(address + 4, UInt32(truncatingIfNeeded: value >> 32))
  }
}
