// A split virtqueue (virtio 1.2 §2.7): a descriptor table, the available ring
// (driver → device) and the used ring (device → driver), in one zeroed,
// page-aligned allocation. Physical = virtual (identity map), so addresses go
// to the device as they are. Each buffer here is one descriptor.
//
// Notification suppression without VIRTIO_F_EVENT_IDX (§2.7.7, §2.7.10): the
// driver's available-ring flags may ask the device not to interrupt, and the
// device's used-ring flags say when it needs no notification (QEMU sets
// NO_NOTIFY while it is still working through the ring).
import Synchronization
import _Volatile

final class Virtqueue {
  static let descriptorWrite: UInt16 = 2  // VIRTQ_DESC_F_WRITE: device writes the buffer
  static let availableNoInterrupt: UInt16 = 1  // VIRTQ_AVAIL_F_NO_INTERRUPT (avail->flags)
  static let usedNoNotify: UInt16 = 1  // VIRTQ_USED_F_NO_NOTIFY (used->flags)

  let size: Int
  let memory: UnsafeMutableRawPointer
  let availableOffset: Int
  let usedOffset: Int
  /// Next free slot of the available ring (our copy of avail->idx).
  var availableIndex: UInt16 = 0
  /// Next used-ring entry to look at.
  var lastUsed: UInt16 = 0
  /// Descriptors not on loan to the device.
  var freeDescriptors: [UInt16]

  /// `size` must be a power of two (§2.7: Queue Size).
  init(size: Int) {
    self.size = size
    // §2.7: descriptor table 16-byte aligned (16 × size), available ring
    // 2-byte aligned (6 + 2 × size), used ring 4-byte aligned (6 + 8 × size).
    availableOffset = 16 * size
    usedOffset = (availableOffset + 6 + 2 * size + 4095) & ~4095
    let bytes = usedOffset + 6 + 8 * size
    memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    freeDescriptors = (0..<UInt16(size)).reversed().map { $0 }
  }

  var addresses: (UInt64, UInt64, UInt64) {
    let base = UInt64(UInt(bitPattern: memory))
    return (base, base + UInt64(availableOffset), base + UInt64(usedOffset))
  }

  /// Lends `length` bytes at `buffer` to the device; returns the descriptor
  /// index, or nil if all descriptors are lent. The device sees it after `publish`.
  func offer(_ buffer: UnsafeMutableRawPointer, length: Int, deviceWrites: Bool) -> UInt16? {
    guard let index = freeDescriptors.popLast() else { return nil }
    let descriptor = memory + 16 * Int(index)
    descriptor.storeBytes(of: UInt64(UInt(bitPattern: buffer)), as: UInt64.self)
    descriptor.storeBytes(of: UInt32(length), toByteOffset: 8, as: UInt32.self)
    descriptor.storeBytes(
      of: deviceWrites ? Self.descriptorWrite : 0, toByteOffset: 12, as: UInt16.self)
    descriptor.storeBytes(of: UInt16(0), toByteOffset: 14, as: UInt16.self)
    let slot = 4 + 2 * (Int(availableIndex) & (size - 1))
    (memory + availableOffset).storeBytes(of: index, toByteOffset: slot, as: UInt16.self)
    availableIndex &+= 1
    return index
  }

  /// Makes offered buffers visible to the device (§2.7.13: the ring entries
  /// must be written before the index that covers them).
  func publish() {
    atomicMemoryFence(ordering: .sequentiallyConsistent)
    (memory + availableOffset).storeBytes(of: availableIndex, toByteOffset: 2, as: UInt16.self)
    atomicMemoryFence(ordering: .sequentiallyConsistent)
  }

  /// Asks the device not to interrupt when it has used buffers (§2.7.7: "The
  /// driver MAY set flags to 1 to advise the device that notifications are not
  /// needed"): a transmit queue whose buffers are taken back when needed.
  func suppressInterrupts() {
    (memory + availableOffset).storeBytes(of: Self.availableNoInterrupt, as: UInt16.self)
  }

  /// Whether the device wants a notification for what `publish` made
  /// available (§2.7.10: with NO_NOTIFY set the driver "SHOULD NOT send a
  /// notification"). Read after `publish`, whose fence orders the index
  /// before this read; the device clears the flag before it last looks at
  /// the index, so a buffer is never left unseen.
  var deviceWantsNotification: Bool {
    let flags = VolatileMappedRegister<UInt16>(
      unsafeBitPattern: UInt(bitPattern: memory + usedOffset)
    ).load()
    return flags & Self.usedNoNotify == 0
  }

  /// The next buffer the device is done with: its descriptor and the bytes it
  /// wrote. The descriptor stays the caller's until `recycle`.
  func takeUsed() -> (descriptor: UInt16, length: Int)? {
    let used = memory + usedOffset
    let deviceIndex = used.withMemoryRebound(to: UInt16.self, capacity: 2) {
      VolatileMappedRegister<UInt16>(unsafeBitPattern: UInt(bitPattern: $0 + 1)).load()
    }
    guard deviceIndex != lastUsed else { return nil }
    atomicMemoryFence(ordering: .sequentiallyConsistent)
    let entry = 4 + 8 * (Int(lastUsed) & (size - 1))
    let id = used.load(fromByteOffset: entry, as: UInt32.self)
    let length = used.load(fromByteOffset: entry + 4, as: UInt32.self)
    lastUsed &+= 1
    return (UInt16(truncatingIfNeeded: id), Int(length))
  }

  /// The address a descriptor points to.
  func buffer(of descriptor: UInt16) -> UnsafeMutableRawPointer {
    let address = (memory + 16 * Int(descriptor)).load(as: UInt64.self)
    return UnsafeMutableRawPointer(bitPattern: UInt(address))!
  }

  func recycle(_ descriptor: UInt16) { freeDescriptors.append(descriptor) }
}
