import Foundation

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
}
