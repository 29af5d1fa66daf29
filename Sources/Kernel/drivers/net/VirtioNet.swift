// virtio-net (virtio 1.2 §5.1) on any virtio transport (VirtioTransport.swift:
// virtio-mmio on microvm, PCI on pc): one receive queue (0), one transmit
// queue (1). Every buffer is one descriptor holding the 12-byte
// virtio_net_hdr (§5.1.6: with VIRTIO_F_VERSION_1 the header always has
// num_buffers) followed by the frame.
//
// Checksum offload when the device offers it (QEMU does when its backend takes
// the header as is: a tap, not user networking):
// - VIRTIO_NET_F_CSUM: TCP segments leave with only the pseudo-header sum
//   (NetStack's PartialChecksum) and NEEDS_CSUM, csum_start, csum_offset in
//   the header (§5.1.6.2); the device completes them.
// - VIRTIO_NET_F_GUEST_CSUM: the device sets DATA_VALID on frames whose
//   checksum it checked, or NEEDS_CSUM on ones a host stack sent partial
//   (§5.1.6.4); either way the stack does not verify them.

final class VirtioNet: NetworkDevice {
  // Feature bits (§5.1.3, §6).
  static let featureChecksum: UInt64 = 1 << 0  // VIRTIO_NET_F_CSUM: we may send partial checksums
  static let featureGuestChecksum: UInt64 = 1 << 1  // VIRTIO_NET_F_GUEST_CSUM: it may send them
  static let featureMAC: UInt64 = 1 << 5  // VIRTIO_NET_F_MAC: config holds the MAC
  static let featureVersion1: UInt64 = 1 << 32  // VIRTIO_F_VERSION_1
  // Device status bits (§2.1).
  static let statusAcknowledge: UInt8 = 1
  static let statusDriver: UInt8 = 2
  static let statusDriverOK: UInt8 = 4
  static let statusFeaturesOK: UInt8 = 8
  // virtio_net_hdr (§5.1.6).
  static let headerSize = 12
  static let headerFlags = 0  // u8
  static let headerChecksumStart = 6  // le16 csum_start: from the frame's first byte
  static let headerChecksumOffset = 8  // le16 csum_offset: of the field, from csum_start
  static let flagNeedsChecksum: UInt8 = 1  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static let flagDataValid: UInt8 = 2  // VIRTIO_NET_HDR_F_DATA_VALID
  static let bufferSize = 2048  // header + 1514-byte frame, rounded
  static let receiveQueue = 0
  static let transmitQueue = 1
  static let queueSize = 128
  /// virtio device type of a network card (§5).
  static let deviceType: UInt16 = 1

  let transport: any VirtioTransport
  let rx: Virtqueue
  let tx: Virtqueue
  var txPool: [UnsafeMutableRawPointer] = []
  var txPending = false
  let mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
  /// VIRTIO_NET_F_CSUM was negotiated.
  let offloadsTCPChecksum: Bool
  /// VIRTIO_NET_F_GUEST_CSUM was negotiated.
  let receivesVerifiedChecksums: Bool

  /// Finds and initializes the first virtio-net device, on virtio-mmio (microvm)
  /// or else on PCI, or nil.
  static func probe() -> VirtioNet? {
    if let transport = VirtioMMIO.find(deviceID: UInt32(deviceType)) {
      return VirtioNet(transport)
    }
    if let transport = VirtioPCI.find(deviceType: deviceType) { return VirtioNet(transport) }
    return nil
  }

  /// §3.1.1's initialization sequence, one step per line. Generic over the
  /// transport so that its ~20 register accesses are direct calls, inlined,
  /// rather than each a witness call through the existential (under TCG,
  /// every call splits a block of code that runs once per boot).
  private init?<Transport: VirtioTransport>(_ transport: Transport) {
    self.transport = transport
    transport.writeStatus(0)  // 1. reset ...
    var spins = 0
    // ... §4.1.4.3.2: "wait for a read of device_status to return 0"
    while transport.readStatus() != 0 && spins < 1_000_000 {
      Arch.spinHint()
      spins += 1
    }
    transport.writeStatus(Self.statusAcknowledge)  // 2. we saw it
    transport.writeStatus(Self.statusAcknowledge | Self.statusDriver)  // 3. we drive it
    let offered = transport.offeredFeatures
    guard offered & Self.featureVersion1 != 0 else { return nil }
    let accepted =
      offered
      & (Self.featureVersion1 | Self.featureMAC | Self.featureChecksum | Self.featureGuestChecksum)
    offloadsTCPChecksum = accepted & Self.featureChecksum != 0
    receivesVerifiedChecksums = accepted & Self.featureGuestChecksum != 0
    transport.accept(features: accepted)  // 4.
    let featuresOK = Self.statusAcknowledge | Self.statusDriver | Self.statusFeaturesOK
    transport.writeStatus(featuresOK)  // 5.
    // 6. "re-read device status to ensure the FEATURES_OK bit is still set"
    guard transport.readStatus() & Self.statusFeaturesOK != 0 else { return nil }
    let rxSize = min(Self.queueSize, transport.maximumQueueSize(Self.receiveQueue))
    let txSize = min(Self.queueSize, transport.maximumQueueSize(Self.transmitQueue))
    guard rxSize >= 2, txSize >= 2, rxSize & (rxSize - 1) == 0, txSize & (txSize - 1) == 0 else {
      return nil
    }
    rx = Virtqueue(size: rxSize)
    tx = Virtqueue(size: txSize)
    tx.suppressInterrupts()  // sent buffers are taken back as the pool runs dry
    transport.activate(queue: Self.receiveQueue, rx)  // 7. queues
    transport.activate(queue: Self.transmitQueue, tx)
    if accepted & Self.featureMAC != 0 {
      mac = (
        transport.readConfigByte(0), transport.readConfigByte(1), transport.readConfigByte(2),
        transport.readConfigByte(3), transport.readConfigByte(4), transport.readConfigByte(5)
      )
    } else {
      mac = (0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    }
    // Each queue's buffers in one allocation, for as long as the device lives:
    // alone, a 2 KB buffer (plus the heap's header) would take a 4 KB block.
    let receiveBuffers = UnsafeMutableRawPointer.allocate(
      byteCount: rxSize * Self.bufferSize, alignment: 16)
    for index in 0..<rxSize {
      let buffer = receiveBuffers + index * Self.bufferSize
      _ = rx.offer(buffer, length: Self.bufferSize, deviceWrites: true)
    }
    let transmitBuffers = UnsafeMutableRawPointer.allocate(
      byteCount: txSize * Self.bufferSize, alignment: 16)
    for index in 0..<txSize { txPool.append(transmitBuffers + index * Self.bufferSize) }
    rx.publish()
    transport.writeStatus(featuresOK | Self.statusDriverOK)  // 8. live
    transport.notify(queue: Self.receiveQueue)
    if offloadsTCPChecksum || receivesVerifiedChecksums {
      Log.info(
        "virtio-net: checksum offload\(offloadsTCPChecksum ? " tx" : "")"
          + "\(receivesVerifiedChecksums ? " rx" : "")")
    }
  }

  func receive(_ body: (_ frame: UnsafeRawBufferPointer, _ checksumVerified: Bool) -> Void) -> Int {
    var count = 0
    reclaimTransmitted()
    while let (descriptor, length) = rx.takeUsed() {
      let buffer = rx.buffer(of: descriptor)
      if length > Self.headerSize {
        let flags = buffer.load(fromByteOffset: Self.headerFlags, as: UInt8.self)
        // §5.1.6.4.1: without GUEST_CSUM "the device MUST set flags to zero".
        let verified =
          receivesVerifiedChecksums && flags & (Self.flagDataValid | Self.flagNeedsChecksum) != 0
        body(
          UnsafeRawBufferPointer(start: buffer + Self.headerSize, count: length - Self.headerSize),
          verified)
      }
      rx.recycle(descriptor)
      _ = rx.offer(buffer, length: Self.bufferSize, deviceWrites: true)
      count += 1
    }
    if count > 0 {
      rx.publish()
      if rx.deviceWantsNotification { transport.notify(queue: Self.receiveQueue) }
    }
    return count
  }

  func transmit(_ frame: UnsafeRawBufferPointer) -> Bool {
    guard frame.count <= Self.bufferSize - Self.headerSize else { return true }  // drop: too big
    if txPool.isEmpty { reclaimTransmitted() }
    guard let buffer = txPool.popLast() else { return false }
    buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.headerSize)
    if offloadsTCPChecksum, let (start, offset) = PartialChecksum.location(inFrame: frame) {
      // §5.1.6.2: "the driver MUST set ... csum_start and csum_offset such
      // that the checksum field is within the packet".
      buffer.storeBytes(of: Self.flagNeedsChecksum, toByteOffset: Self.headerFlags, as: UInt8.self)
      buffer.storeBytes(
        of: UInt16(start).littleEndian, toByteOffset: Self.headerChecksumStart, as: UInt16.self)
      buffer.storeBytes(
        of: UInt16(offset).littleEndian, toByteOffset: Self.headerChecksumOffset, as: UInt16.self)
    }
    if let source = frame.baseAddress {
      (buffer + Self.headerSize).copyMemory(from: source, byteCount: frame.count)
    }
    guard tx.offer(buffer, length: Self.headerSize + frame.count, deviceWrites: false) != nil else {
      txPool.append(buffer)
      return false
    }
    txPending = true
    return true
  }

  func flush() {
    guard txPending else { return }
    txPending = false
    tx.publish()
    if tx.deviceWantsNotification { transport.notify(queue: Self.transmitQueue) }
  }

  /// Takes back the transmit buffers the device has sent.
  private func reclaimTransmitted() {
    while let (descriptor, _) = tx.takeUsed() {
      txPool.append(tx.buffer(of: descriptor))
      tx.recycle(descriptor)
    }
  }

  func onInterrupt(_ handler: @escaping () -> Void) -> Bool {
    transport.onInterrupt(name: "virtio-net", handler)
  }
}
