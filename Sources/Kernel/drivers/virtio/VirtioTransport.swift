// What a virtio driver needs from its transport (virtio 1.2 §4): the device
// status byte, feature negotiation, queue setup and notification, the
// device-specific configuration, and the interrupt. Two transports conform:
// VirtioMMIO (§4.2, QEMU's microvm) and VirtioPCI (§4.1, a PCI function with
// vendor capabilities). Drivers (VirtioNet) hold an `any VirtioTransport`:
// class-bound, since Embedded Swift has no existential of a struct.

protocol VirtioTransport: AnyObject {
  /// The device status byte (§2.1); writing 0 resets the device.
  func readStatus() -> UInt8
  func writeStatus(_ status: UInt8)
  /// 64 feature bits offered by the device (§2.2).
  var offeredFeatures: UInt64 { get }
  /// Writes the driver's feature bits.
  func accept(features: UInt64)
  /// Largest size the device allows for queue `index` (0: queue absent).
  func maximumQueueSize(_ index: Int) -> Int
  /// Tells the device where queue `index` lives and enables it.
  func activate(queue index: Int, _ queue: Virtqueue)
  /// Tells the device queue `index` has new available buffers.
  func notify(queue index: Int)
  /// Byte `offset` of the device-specific configuration.
  func readConfigByte(_ offset: Int) -> UInt8
  /// Calls `handler` from the device's interrupt, acknowledged as the transport
  /// requires; false if the device cannot interrupt.
  func onInterrupt(name: StaticString, _ handler: @escaping () -> Void) -> Bool
}
