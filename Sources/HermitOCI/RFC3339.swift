import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Timestamps as RFC 3339 in UTC with whole seconds (`2026-11-26T02:05:07Z`), the
/// form of image-spec `created`, runtime state and logs.
///
/// Formatted with `gmtime_r`: Foundation's ISO8601DateFormatter goes through ICU,
/// which costs milliseconds on first use and is not needed for one fixed format.
public enum RFC3339 {
  /// `seconds` since the epoch.
  public static func string(seconds: Int) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
      + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
  }

  /// `date`, rounded down to the second.
  public static func string(_ date: Date) -> String {
    string(seconds: Int(date.timeIntervalSince1970.rounded(.down)))
  }

  /// Seconds since the epoch of `text` in the form `string` writes
  /// (`YYYY-MM-DDTHH:MM:SSZ`); nil for any other form.
  public static func seconds(_ text: String) -> Int? {
    let bytes = Array(text.utf8)
    guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
      bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
      bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z")
    else { return nil }
    func number(_ range: Range<Int>) -> Int32? {
      var value: Int32 = 0
      for byte in bytes[range] {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        value = value * 10 + Int32(byte - UInt8(ascii: "0"))
      }
      return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
      let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var parts = tm()
    parts.tm_year = year - 1900
    parts.tm_mon = month - 1
    parts.tm_mday = day
    parts.tm_hour = hour
    parts.tm_min = minute
    parts.tm_sec = second
    return Int(timegm(&parts))
  }

  /// The date of `text` in the form `string` writes; nil for any other form.
  public static func date(_ text: String) -> Date? {
    seconds(text).map { Date(timeIntervalSince1970: TimeInterval($0)) }
  }
}
