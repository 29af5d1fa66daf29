/// Guest memory sizes: the one parser behind `hermit-image build --memory`,
/// `hermit-runtime run --memory` and the `org.hermit.memory` label.
///
/// Sizes are whole MiB, the unit QEMU's `-m` takes and the image metadata keeps.
public enum MemorySize {
  /// The least memory a guest boots with. The loader is placed at 1 MiB with its
  /// page tables and stack above it; with `-m 1M` QEMU loads it into no RAM at all
  /// and the CPU runs off into nothing, silently, forever. hello boots at 2 MiB
  /// (measured with scripts/boot.sh and HERMIT_MEMORY; the kernel then has a
  /// 680 KiB heap); a bigger app or more threads need more, and the loader or the
  /// kernel says so.
  public static let minimumMiB = 2
  /// The most a guest may ask for: 1 TiB.
  public static let maximumMiB = 1 << 20

  /// Parses `64` (a bare number is MiB, as for QEMU's `-m`), `64M`, `64m`, `64MB`,
  /// `64MiB`, `1G`, `1T`, `65536K`, `67108864B` (every unit binary, case-insensitive).
  /// Refuses what is not a whole number of MiB in `minimumMiB...maximumMiB`; never
  /// traps, however long the number.
  /// - Returns: the size in MiB.
  public static func parseMiB(_ text: String) throws(HermitOCIError) -> Int {
    let shown = Sanitized.quoted(text)
    let examples = "(examples: 64, 64M, 1G, 512MiB)"
    var rest = Substring(text.uppercased())
    var shift = 20  // log2 of the unit in bytes: a bare number is MiB
    var needsUnit = false
    if rest.hasSuffix("IB") {
      rest = rest.dropLast(2)
      needsUnit = true
    } else if rest.hasSuffix("B") {
      rest = rest.dropLast()
      shift = 0  // bytes, unless a unit letter comes before the B
    }
    if let last = rest.last, let index = Array("KMGT").firstIndex(of: last) {
      shift = 10 * (index + 1)
      rest = rest.dropLast()
    } else if needsUnit {
      throw .invalidArgument("invalid memory size \(shown) \(examples)")
    }
    guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }) else {
      throw .invalidArgument("invalid memory size \(shown) \(examples)")
    }
    // Leading zeros do not make a number bigger; more digits than this do overflow.
    let digits = rest.drop { $0 == "0" }
    let tooBig = HermitOCIError.invalidArgument(
      "memory size \(shown) is above the maximum of \(maximumMiB / 1024 / 1024)T")
    guard digits.count <= 18, let value = Int(digits.isEmpty ? "0" : String(digits)) else {
      throw tooBig
    }
    let mib: Int
    if shift >= 20 {
      let (product, overflow) = value.multipliedReportingOverflow(by: 1 << (shift - 20))
      guard !overflow else { throw tooBig }
      mib = product
    } else {
      let unit = 1 << (20 - shift)
      guard value % unit == 0 else {
        throw .invalidArgument("memory size \(shown) is not a whole number of MiB")
      }
      mib = value / unit
    }
    guard mib <= maximumMiB else { throw tooBig }
    guard mib >= minimumMiB else {
      throw .invalidArgument(
        "memory size \(shown) is below the minimum of \(minimumMiB)M a guest boots with")
    }
    return mib
  }

  /// Whole MiB in a limit given in bytes (an OCI `linux.resources.memory.limit`),
  /// rounded down so the guest stays within it; nil for no limit (absent, 0 or
  /// negative, as runc treats -1). Throws when the limit is below `minimumMiB`.
  public static func mebibytes(limitBytes: Int64?) throws(HermitOCIError) -> Int? {
    guard let limitBytes, limitBytes > 0 else { return nil }
    let mib = min(Int(limitBytes >> 20), maximumMiB)
    guard mib >= minimumMiB else {
      throw .invalidArgument(
        "memory limit of \(limitBytes) bytes is below the minimum of \(minimumMiB)M a guest boots with"
      )
    }
    return mib
  }
}
