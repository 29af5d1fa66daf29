// The virtio-mmio transport (virtio 1.2 §4.2.2, "MMIO Device Register Layout"):
// a 512-byte register window per device. QEMU's microvm has 24 of them at
// 0xFEB00000 + n × 0x200, the first device taking the highest free one; their
// interrupts are GSIs 24 + n on the second I/O APIC (hw/i386/microvm.c, with
// ioapic2 on, the default). QEMU offers legacy (version 1) windows unless
// `-global virtio-mmio.force-legacy=false`: we drive only version 2.
import _Volatile

final class VirtioMMIO: VirtioTransport {
  // Registers (virtio 1.2 Table 4.1).
  static let magicValue = 0x000  // "virt" = 0x74726976
  static let version = 0x004  // 2 for the non-legacy interface
  static let deviceID = 0x008  // 1 = network card (§5)
  static let deviceFeatures = 0x010
  static let deviceFeaturesSel = 0x014
  static let driverFeatures = 0x020
  static let driverFeaturesSel = 0x024
  static let queueSel = 0x030
  static let queueNumMax = 0x034
  static let queueNum = 0x038
  static let queueReady = 0x044
  static let queueNotify = 0x050
  static let interruptStatus = 0x060  // bit 0: used buffer, bit 1: configuration change
  static let interruptACK = 0x064
  static let status = 0x070
  static let queueDescLow = 0x080
  static let queueDescHigh = 0x084
  static let queueDriverLow = 0x090  // the available ring
  static let queueDriverHigh = 0x094
  static let queueDeviceLow = 0x0A0  // the used ring
  static let queueDeviceHigh = 0x0A4
  static let config = 0x100  // device-specific configuration
  static let magic: UInt32 = 0x7472_6976

  // QEMU microvm layout.
  static let microvmBase: UInt64 = 0xFEB0_0000
  static let microvmStride: UInt64 = 0x200
  static let microvmSlots = 24
  static let microvmFirstGSI: UInt32 = 24

  let base: UInt64
  /// The GSI of its interrupt line.
  let gsi: UInt32

  init(base: UInt64, gsi: UInt32) {
    self.base = base
    self.gsi = gsi
  }

  func read(_ register: Int) -> UInt32 {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(base) + UInt(register)).load()
  }

  func write(_ register: Int, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(base) + UInt(register)).store(value)
  }

  func readStatus() -> UInt8 { UInt8(truncatingIfNeeded: read(Self.status)) }

  func writeStatus(_ status: UInt8) { write(Self.status, UInt32(status)) }

  func readConfigByte(_ offset: Int) -> UInt8 {
    VolatileMappedRegister<UInt8>(unsafeBitPattern: UInt(base) + UInt(Self.config + offset)).load()
  }

  /// The first version-2 transport holding device `id`, searched from the top
  /// (where QEMU puts the first device).
  static func find(deviceID id: UInt32) -> VirtioMMIO? {
    Memory.mapDevice(microvmBase, length: UInt64(microvmSlots) * microvmStride)
    for slot in (0..<microvmSlots).reversed() {
      let transport = VirtioMMIO(
        base: microvmBase + UInt64(slot) * microvmStride, gsi: microvmFirstGSI + UInt32(slot))
      guard transport.read(magicValue) == magic else { return nil }  // not a microvm
      if transport.read(deviceID) == id && transport.read(version) == 2 { return transport }
    }
    return nil
  }

  /// 64 feature bits offered by the device.
  var offeredFeatures: UInt64 {
    write(Self.deviceFeaturesSel, 0)
    let low = UInt64(read(Self.deviceFeatures))
    write(Self.deviceFeaturesSel, 1)
    return UInt64(read(Self.deviceFeatures)) << 32 | low
  }

  func accept(features: UInt64) {
    write(Self.driverFeaturesSel, 0)
    write(Self.driverFeatures, UInt32(truncatingIfNeeded: features))
    write(Self.driverFeaturesSel, 1)
    write(Self.driverFeatures, UInt32(truncatingIfNeeded: features >> 32))
  }

  /// Largest size the device allows for queue `index` (0: queue absent).
  func maximumQueueSize(_ index: Int) -> Int {
    write(Self.queueSel, UInt32(index))
    return Int(read(Self.queueNumMax))
  }

  /// Tells the device where queue `index` lives and enables it (§4.2.3.2).
  func activate(queue index: Int, _ queue: Virtqueue) {
    write(Self.queueSel, UInt32(index))
    write(Self.queueNum, UInt32(queue.size))
    let (descriptors, available, used) = queue.addresses
    write(Self.queueDescLow, UInt32(truncatingIfNeeded: descriptors))
    write(Self.queueDescHigh, UInt32(truncatingIfNeeded: descriptors >> 32))
    write(Self.queueDriverLow, UInt32(truncatingIfNeeded: available))
    write(Self.queueDriverHigh, UInt32(truncatingIfNeeded: available >> 32))
    write(Self.queueDeviceLow, UInt32(truncatingIfNeeded: used))
    write(Self.queueDeviceHigh, UInt32(truncatingIfNeeded: used >> 32))
    write(Self.queueReady, 1)
  }

  func notify(queue index: Int) { write(Self.queueNotify, UInt32(index)) }

  /// Reads and acknowledges the interrupt causes (§4.2.3.3).
  func acknowledgeInterrupt() -> UInt32 {
    let causes = read(Self.interruptStatus)
    if causes != 0 { write(Self.interruptACK, causes) }
    return causes
  }

  /// The transport's line is level-triggered, active high; acknowledging the
  /// interrupt status lowers it (§4.2.3.3).
  func onInterrupt(name: StaticString, _ handler: @escaping () -> Void) -> Bool {
    Interrupts.register(gsi: gsi, level: true, name: name) { [self] in
      _ = acknowledgeInterrupt()
      handler()
    }
  }
}
