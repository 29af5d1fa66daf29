// A byte ring with a fixed logical capacity (smoltcp storage::RingBuffer): the
// TCP send buffer (unacknowledged and unsent bytes) and receive buffer
// (in-order bytes the app has not read, with out-of-order bytes parked past
// them).
//
// Memory is a budget: the storage grows with what the ring holds, doubling
// from `initialStorage` up to `capacity`, and goes back to nothing when the
// owner releases an empty ring (`releaseIfEmpty`). An idle connection holds no
// buffer, and a failed allocation is an answer (the write takes nothing), not
// a panic: TCP drops the segment and the peer retransmits.

/// The memory behind a ring, from the C heap so that running out returns nil.
final class RingStorage {
  let bytes: UnsafeMutableRawPointer
  let size: Int
  let memory: NetMemory?

  /// `limit`: the most of the budget in use after this allocation.
  init?(size: Int, memory: NetMemory?, limit: Int) {
    if let memory, memory.used + size > limit { return nil }
    guard let bytes = netAllocate(size) else { return nil }
    self.bytes = bytes
    self.size = size
    self.memory = memory
    memory?.used += size
  }

  deinit {
    netFree(bytes)
    memory?.used -= size
  }
}

struct ByteRing {
  /// The smallest storage allocated: a request or a response head fits.
  static let initialStorage = 2048

  /// nil until the first write, and again after `releaseIfEmpty`.
  private var storage: RingStorage?
  private var head = 0
  /// Readable bytes from the head.
  private(set) var count = 0
  /// The most the ring holds (what the TCP window is computed from).
  let capacity: Int
  /// The budget its storage counts against, if any.
  let memory: NetMemory?
  /// Grows only while the budget is at most half used: send buffers, so that
  /// the data they hold can never leave receive buffers without room (two
  /// peers whose writes took all of both budgets would wait on each other).
  let yieldsHalfTheBudget: Bool

  init(capacity: Int, memory: NetMemory? = nil, yieldsHalfTheBudget: Bool = false) {
    self.capacity = capacity
    self.memory = memory
    self.yieldsHalfTheBudget = yieldsHalfTheBudget
  }

  var freeSpace: Int { capacity - count }
  var isEmpty: Bool { count == 0 }
  /// Bytes of memory held now.
  var storageSize: Int { storage?.size ?? 0 }

  /// Appends up to `freeSpace` bytes of `bytes`, fewer if memory for all of
  /// them cannot be had; returns how many (0: none).
  mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
    var written = min(bytes.count, freeSpace)
    // Take what the budget lets the storage grow to hold, if not all.
    while written > 0 && !reserve(count + written) { written /= 2 }
    guard written > 0, write(bytes.netSlice(0..<written), atOffset: 0) else { return 0 }
    count += written
    return written
  }

  /// Writes `bytes` `offset` bytes past the readable end without making them
  /// readable (out-of-order TCP data). The caller keeps
  /// `offset + bytes.count <= freeSpace`. False, and nothing written, when the
  /// storage could not grow to hold them.
  @discardableResult
  mutating func write(_ bytes: UnsafeRawBufferPointer, atOffset offset: Int) -> Bool {
    guard !bytes.isEmpty, let source = bytes.baseAddress else { return true }
    guard reserve(count + offset + bytes.count), let storage else { return false }
    let size = storage.size
    var position = (head + count + offset) % size
    var done = 0
    while done < bytes.count {
      let chunk = min(bytes.count - done, size - position)
      storage.bytes.advanced(by: position).copyMemory(
        from: source.advanced(by: done), byteCount: chunk)
      done += chunk
      position = (position + chunk) % size
    }
    return true
  }

  /// Makes `length` bytes written past the end readable.
  mutating func commit(_ length: Int) {
    count = min(count + length, capacity)
  }

  /// Copies and removes up to `buffer.count` bytes; returns how many.
  mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
    let length = min(buffer.count, count)
    guard length > 0, let target = buffer.baseAddress else { return 0 }
    copy(offset: 0, length: length, to: target)
    discard(length)
    return length
  }

  /// Drops `length` readable bytes from the head.
  mutating func discard(_ length: Int) {
    let length = min(length, count)
    guard let storage else { return }
    head = (head + length) % storage.size
    // The head never jumps back to 0: out-of-order bytes may sit past the end.
    count -= length
  }

  /// Frees the storage when nothing is readable; the owner knows that nothing
  /// is parked past the end either.
  mutating func releaseIfEmpty() {
    guard count == 0, storage != nil else { return }
    storage = nil
    head = 0
  }

  /// Readable bytes `offset..<offset + length` as an array.
  func bytes(offset: Int, length: Int) -> [UInt8] {
    guard length > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
      copy(offset: offset, length: length, to: UnsafeMutableRawPointer(buffer.baseAddress!))
      initialized = length
    }
  }

  /// Grows the storage to hold `needed` bytes from the head, keeping every
  /// byte (readable or parked) at its distance from the head.
  private mutating func reserve(_ needed: Int) -> Bool {
    let current = storage?.size ?? 0
    if needed <= current { return true }
    var size = max(current, min(ByteRing.initialStorage, capacity))
    while size < needed { size = min(size * 2, capacity) }
    let limit = memory.map { yieldsHalfTheBudget ? $0.budget / 2 : $0.budget } ?? Int.max
    guard size >= needed, let grown = RingStorage(size: size, memory: memory, limit: limit) else {
      return false
    }
    if let storage {
      // The whole old ring, from the head on, to the start of the new one.
      let first = current - head
      grown.bytes.copyMemory(from: storage.bytes.advanced(by: head), byteCount: first)
      grown.bytes.advanced(by: first).copyMemory(from: storage.bytes, byteCount: head)
    }
    storage = grown
    head = 0
    return true
  }

  private func copy(offset: Int, length: Int, to target: UnsafeMutableRawPointer) {
    guard let storage else { return }
    let size = storage.size
    var position = (head + offset) % size
    var done = 0
    while done < length {
      let chunk = min(length - done, size - position)
      target.advanced(by: done).copyMemory(
        from: storage.bytes.advanced(by: position), byteCount: chunk)
      done += chunk
      position = (position + chunk) % size
    }
  }
}
