// Big-endian ("network byte order", RFC 1700) field access shared by the
// wire views. Reads assume the view already checked its length; writes go to
// frames the stack builds itself.

extension UnsafeRawBufferPointer {
  /// The big-endian 16-bit field at `offset`. The caller checked `offset + 2 <= count`.
  @inline(__always)
  func netUInt16(at offset: Int) -> UInt16 {
    UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
  }

  /// The big-endian 32-bit field at `offset`. The caller checked `offset + 4 <= count`.
  @inline(__always)
  func netUInt32(at offset: Int) -> UInt32 {
    UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
      | UInt32(self[offset + 3])
  }

  /// The bytes `range` as their own buffer. The caller checked the range.
  @inline(__always)
  func netSlice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: self[range])
  }
}

extension Array where Element == UInt8 {
  @inline(__always)
  mutating func appendNetUInt16(_ value: UInt16) {
    append(UInt8(truncatingIfNeeded: value >> 8))
    append(UInt8(truncatingIfNeeded: value))
  }

  @inline(__always)
  mutating func appendNetUInt32(_ value: UInt32) {
    append(UInt8(truncatingIfNeeded: value >> 24))
    append(UInt8(truncatingIfNeeded: value >> 16))
    append(UInt8(truncatingIfNeeded: value >> 8))
    append(UInt8(truncatingIfNeeded: value))
  }

  @inline(__always)
  mutating func setNetUInt16(_ value: UInt16, at offset: Int) {
    self[offset] = UInt8(truncatingIfNeeded: value >> 8)
    self[offset + 1] = UInt8(truncatingIfNeeded: value)
  }

  mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
    append(contentsOf: bytes)
  }
}
