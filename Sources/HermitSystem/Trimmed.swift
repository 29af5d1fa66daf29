extension StringProtocol {
  /// Without leading and trailing ASCII whitespace (space, tab, CR, LF, VT, FF):
  /// for the ASCII text of /proc, /sys and configuration files. The host tools
  /// import FoundationEssentials alone, which has no `trimmingCharacters(in:)`.
  public var trimmed: String {
    let string = String(self)
    let bytes = string.utf8
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
    guard let first = bytes.firstIndex(where: { !isSpace($0) }),
      let last = bytes.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(string[first...last])
  }
}
