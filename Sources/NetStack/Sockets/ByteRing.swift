// A fixed-capacity byte ring (smoltcp storage::RingBuffer): the TCP send
// buffer (unacknowledged and unsent bytes) and receive buffer (in-order bytes
// the app has not read, with out-of-order bytes parked past them).

struct ByteRing {
  /// Allocated at the first write: a connection that never carries data (a
  /// half-open one of a SYN flood) costs no buffer.
  private var storage: [UInt8] = []
  private var head = 0
  /// Readable bytes from the head.
  private(set) var count = 0
  let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
  }

  var freeSpace: Int { capacity - count }
  var isEmpty: Bool { count == 0 }

  /// Appends up to `freeSpace` bytes of `bytes`; returns how many.
  mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
    let written = min(bytes.count, freeSpace)
    write(bytes.netSlice(0..<written), atOffset: 0)
    count += written
    return written
  }

  /// Writes `bytes` `offset` bytes past the readable end without making them
  /// readable (out-of-order TCP data). The caller keeps
  /// `offset + bytes.count <= freeSpace`.
  mutating func write(_ bytes: UnsafeRawBufferPointer, atOffset offset: Int) {
    guard !bytes.isEmpty, let source = bytes.baseAddress else { return }
    if storage.isEmpty { storage = [UInt8](repeating: 0, count: capacity) }
    var position = (head + count + offset) % capacity
    var done = 0
    storage.withUnsafeMutableBytes { target in
      while done < bytes.count {
        let chunk = min(bytes.count - done, capacity - position)
        target.baseAddress!.advanced(by: position).copyMemory(
          from: source.advanced(by: done), byteCount: chunk)
        done += chunk
        position = (position + chunk) % capacity
      }
    }
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
    guard capacity > 0 else { return }
    head = (head + length) % capacity
    // The head never jumps back to 0: out-of-order bytes may sit past the end.
    count -= length
  }

  /// Readable bytes `offset..<offset + length` as an array.
  func bytes(offset: Int, length: Int) -> [UInt8] {
    guard length > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
      copy(offset: offset, length: length, to: UnsafeMutableRawPointer(buffer.baseAddress!))
      initialized = length
    }
  }

  private func copy(offset: Int, length: Int, to target: UnsafeMutableRawPointer) {
    var position = (head + offset) % capacity
    var done = 0
    storage.withUnsafeBytes { source in
      while done < length {
        let chunk = min(length - done, capacity - position)
        target.advanced(by: done).copyMemory(
          from: source.baseAddress!.advanced(by: position), byteCount: chunk)
        done += chunk
        position = (position + chunk) % capacity
      }
    }
  }
}
