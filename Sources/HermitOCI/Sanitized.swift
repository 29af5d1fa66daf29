/// Text from outside (image data, flag values) made safe to quote in a message:
/// a tarball's reference name or label must not reach the terminal with escape
/// sequences (`\u{1b}[31m`), carriage returns or line breaks in it.
public enum Sanitized {
  /// The longest text quoted whole; longer text is cut with `...`.
  public static let maxLength = 200

  /// `text` with every control character (C0, DEL, C1) and every Unicode format
  /// or separator character (bidi overrides, zero-width spaces, line separators)
  /// written as `\u{XX}`, and backslashes doubled so the escapes are unambiguous.
  public static func escaped(_ text: some StringProtocol) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
      if count >= maxLength {
        out += "..."
        break
      }
      count += 1
      if scalar == "\\" {
        out += "\\\\"
      } else if isUnsafe(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// The longest message line printed whole. Quoted input is cut at `maxLength`
  /// where it is quoted; this bounds what a quote missed (a libarchive message
  /// naming a path, say).
  public static let maxLineLength = 1000

  /// A whole message line made safe for a terminal: unsafe characters (as for
  /// `escaped`) written as `\u{XX}`, backslashes left alone, and a line longer than
  /// `maxLineLength` cut in the middle (its start and end say what failed). Both
  /// tools pass every error line through this before printing it.
  public static func line(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      if isUnsafe(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    let scalars = out.unicodeScalars
    guard scalars.count > maxLineLength else { return out }
    let tail = 200
    let head = maxLineLength - tail - 5
    var cut = String(String.UnicodeScalarView(scalars.prefix(head)))
    cut += " ... "
    cut += String(String.UnicodeScalarView(scalars.suffix(tail)))
    return cut
  }

  /// `escaped(text)` in double quotes.
  public static func quoted(_ text: some StringProtocol) -> String {
    "\"" + escaped(text) + "\""
  }

  static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) { return true }
    switch scalar.properties.generalCategory {
    case .format, .lineSeparator, .paragraphSeparator, .control, .surrogate, .privateUse,
      .unassigned:
      return true
    default:
      return false
    }
  }
}
