/// Parsing of `--memory` sizes into MiB, the unit QEMU's `-m` takes.
public enum MemorySize {
  /// Parses `64`, `64M`, `64MB`, `64MiB`, `1G`, `1GiB`, `65536K` (case-insensitive).
  /// A bare number means MiB, as for QEMU's `-m`.
  /// - Returns: the size in MiB (at least 1).
  public static func parseMiB(_ text: String) throws(HermitQEMUError) -> Int {
    let lower = text.lowercased()
    let digits = lower.prefix { $0.isASCII && $0.isNumber }
    var unit = String(lower.dropFirst(digits.count))
    guard let value = Int(digits), value > 0 else { throw .invalidMemorySize(text) }
    for suffix in ["ib", "b"] where unit.hasSuffix(suffix) && unit.count > suffix.count {
      unit.removeLast(suffix.count)
      break
    }
    let mib: Int
    switch unit {
    case "", "m": mib = value
    case "g": mib = value * 1024
    case "k": mib = value / 1024
    default: throw .invalidMemorySize(text)
    }
    guard mib >= 1, mib <= 1 << 20 else { throw .invalidMemorySize(text) }
    return mib
  }
}
