import FoundationEssentials

extension CanonicalJSON {
  /// The first key that appears twice in one object of `data`, or nil when the keys
  /// of every object are distinct.
  ///
  /// RFC 8259 §4 leaves duplicate names undefined: Foundation's decoder keeps the
  /// first, Go's encoding/json and Python's json the last. A document that means
  /// one thing here and another to the next tool (an `os` of `hermit` first and
  /// `linux` last) is refused instead. Keys compare after unescaping, and as Swift
  /// strings (canonically equivalent keys are one key to the decoder too).
  ///
  /// One pass, no recursion; only well-formed JSON (already decoded) is scanned,
  /// malformed input just ends the scan.
  static func duplicateKey(in data: Data) -> String? {
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
      // One entry per open container: the keys seen so far, nil for an array.
      var open: [Set<String>?] = []
      var expectKey = false
      var i = 0
      let end = bytes.count
      while i < end {
        let byte = bytes[i]
        switch byte {
        case UInt8(ascii: "{"):
          open.append([])
          expectKey = true
          i += 1
        case UInt8(ascii: "["):
          open.append(nil)
          expectKey = false
          i += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
          _ = open.popLast()
          expectKey = false
          i += 1
        case UInt8(ascii: ","):
          expectKey = open.last.map { $0 != nil } ?? false
          i += 1
        case UInt8(ascii: "\""):
          guard expectKey else {
            i = skipString(bytes, from: i + 1)
            continue
          }
          let (key, next) = readString(bytes, from: i + 1)
          i = next
          expectKey = false
          if open[open.count - 1]!.insert(key).inserted == false { return key }
        default:
          i += 1
        }
      }
      return nil
    }
  }

  /// The index after the closing quote of the string whose content starts at `start`.
  private static func skipString(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    var i = start
    while i < bytes.count {
      switch bytes[i] {
      case UInt8(ascii: "\\"): i += 2
      case UInt8(ascii: "\""): return i + 1
      default: i += 1
      }
    }
    return i
  }

  /// The unescaped string whose content starts at `start`, and the index after it.
  private static func readString(_ bytes: UnsafeRawBufferPointer, from start: Int)
    -> (String, Int)
  {
    var utf8: [UInt8] = []
    var pendingHigh: UInt32?
    func append(_ scalar: UInt32) {
      let value = Unicode.Scalar(scalar) ?? "\u{fffd}"
      utf8.append(contentsOf: String(Character(value)).utf8)
    }
    func hex4(_ at: Int) -> UInt32? {
      guard at + 4 <= bytes.count else { return nil }
      var value: UInt32 = 0
      for k in at..<(at + 4) {
        guard let digit = hexDigit(bytes[k]) else { return nil }
        value = value << 4 | digit
      }
      return value
    }
    var i = start
    while i < bytes.count {
      let byte = bytes[i]
      if byte == UInt8(ascii: "\"") { break }
      guard byte == UInt8(ascii: "\\"), i + 1 < bytes.count else {
        if let high = pendingHigh { append(high) }
        pendingHigh = nil
        utf8.append(byte)
        i += 1
        continue
      }
      let escape = bytes[i + 1]
      i += 2
      if escape == UInt8(ascii: "u"), let unit = hex4(i) {
        i += 4
        if (0xdc00...0xdfff).contains(unit), let high = pendingHigh {
          append(0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00))
          pendingHigh = nil
        } else {
          if let high = pendingHigh { append(high) }
          pendingHigh = (0xd800...0xdbff).contains(unit) ? unit : nil
          if pendingHigh == nil { append(unit) }
        }
        continue
      }
      if let high = pendingHigh { append(high) }
      pendingHigh = nil
      switch escape {
      case UInt8(ascii: "b"): utf8.append(0x08)
      case UInt8(ascii: "f"): utf8.append(0x0c)
      case UInt8(ascii: "n"): utf8.append(0x0a)
      case UInt8(ascii: "r"): utf8.append(0x0d)
      case UInt8(ascii: "t"): utf8.append(0x09)
      default: utf8.append(escape)  // \" \\ \/
      }
    }
    if let high = pendingHigh { append(high) }
    return (String(decoding: utf8, as: UTF8.self), i + 1)
  }

  private static func hexDigit(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
    default: return nil
    }
  }
}
