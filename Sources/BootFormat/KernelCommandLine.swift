/// Options the kernel reads from its command line (QEMU `-append`).
///
/// Grammar (docs/ABI.md): `[quiet] [name=N] [env=K=V]... [ip=A.B.C.D/N]
/// [gateway=A.B.C.D] [--] [ARG]...`. Unknown options are kept in `unknown` so the
/// kernel can warn about them instead of silently dropping them.
public struct KernelOptions: Equatable, Sendable {
  /// Keep only the app's own output on the console.
  public var quiet: Bool
  /// The app's environment, each entry `KEY=VALUE`.
  public var environment: [String]
  /// Static IPv4 address with prefix length, e.g. `10.88.0.5/16`.
  public var ip: String?
  /// Default IPv4 gateway.
  public var gateway: String?
  /// IPv4 address of a DNS server.
  public var dns: String?
  /// The app's name, `argv[0]`.
  public var name: String?
  /// Options the kernel did not understand.
  public var unknown: [String]

  public init(
    quiet: Bool = false, environment: [String] = [], ip: String? = nil,
    gateway: String? = nil, dns: String? = nil, name: String? = nil, unknown: [String] = []
  ) {
    self.quiet = quiet
    self.environment = environment
    self.ip = ip
    self.gateway = gateway
    self.dns = dns
    self.name = name
    self.unknown = unknown
  }
}

/// Encodes and parses the kernel command line. The runtime encodes with the same
/// code the kernel parses with, so quoting can never disagree.
public enum KernelCommandLine {
  /// Builds the command line for `options` and the app's `arguments`.
  public static func encode(_ options: KernelOptions, arguments: [String]) -> String {
    var tokens: [String] = []
    if options.quiet { tokens.append("quiet") }
    if let name = options.name { tokens.append("name=" + name) }
    for variable in options.environment { tokens.append("env=" + variable) }
    if let ip = options.ip { tokens.append("ip=" + ip) }
    if let gateway = options.gateway { tokens.append("gateway=" + gateway) }
    if let dns = options.dns { tokens.append("dns=" + dns) }
    tokens.append("--")
    tokens.append(contentsOf: arguments)
    var line = ""
    for (index, token) in tokens.enumerated() {
      if index > 0 { line.append(" ") }
      line.append(quote(token))
    }
    return line
  }

  /// Parses a command line into options and the app's arguments. A Multiboot
  /// command line starts with the kernel image's path (QEMU and GRUB put it
  /// there): `skippingImageName` drops that first token.
  ///
  /// Works on bytes, not String comparisons, so the kernel does not pull in
  /// Unicode normalization tables just to read its command line.
  public static func parse(_ line: String, skippingImageName: Bool = false) -> (
    options: KernelOptions, arguments: [String]
  ) {
    var options = KernelOptions()
    var arguments: [String] = []
    var sawSeparator = false
    var tokens = splitBytes(line.utf8)
    if skippingImageName && !tokens.isEmpty { tokens.removeFirst() }
    for token in tokens {
      if sawSeparator {
        arguments.append(string(token))
      } else if equal(token, "--") {
        sawSeparator = true
      } else if equal(token, "quiet") {
        options.quiet = true
      } else if let value = value(of: "env=", in: token) {
        options.environment.append(value)
      } else if let value = value(of: "ip=", in: token) {
        options.ip = value
      } else if let value = value(of: "gateway=", in: token) {
        options.gateway = value
      } else if let value = value(of: "dns=", in: token) {
        options.dns = value
      } else if let value = value(of: "name=", in: token) {
        options.name = value
      } else {
        options.unknown.append(string(token))
      }
    }
    return (options, arguments)
  }

  /// Splits on spaces, honouring double quotes with `\"` and `\\` escapes.
  public static func split(_ line: String) -> [String] {
    var tokens: [String] = []
    for token in splitBytes(line.utf8) { tokens.append(string(token)) }
    return tokens
  }

  static func splitBytes(_ line: some Sequence<UInt8>) -> [[UInt8]] {
    var tokens: [[UInt8]] = []
    var current: [UInt8] = []
    tokenize(line) {
      current.append($0)
    } end: {
      tokens.append(current)
      current.removeAll()
      return true
    }
    return tokens
  }

  /// The one tokenizer behind `split`, `parse` and `hasOption`: calls `byte` for
  /// each byte of a token (quotes and escapes removed) and `end` after each token.
  /// Tokens are separated by spaces or tabs outside double quotes; inside quotes
  /// `\"` and `\\` escape. `end` returning false stops early.
  static func tokenize(
    _ line: some Sequence<UInt8>, byte: (UInt8) -> Void, end: () -> Bool
  ) {
    var inToken = false
    var inQuotes = false
    var escaped = false
    for next in line {
      if escaped {
        byte(next)
        escaped = false
      } else if inQuotes && next == UInt8(ascii: "\\") {
        escaped = true
      } else if next == UInt8(ascii: "\"") {
        inQuotes.toggle()
        inToken = true
      } else if !inQuotes && (next == UInt8(ascii: " ") || next == UInt8(ascii: "\t")) {
        if inToken && !end() { return }
        inToken = false
      } else {
        byte(next)
        inToken = true
      }
    }
    if inToken { _ = end() }
  }

  /// Quotes `token` if it is empty or holds a space, tab, quote or backslash.
  public static func quote(_ token: String) -> String {
    var needsQuotes = token.isEmpty
    for byte in token.utf8
    where byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
      || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    {
      needsQuotes = true
    }
    if !needsQuotes { return token }
    var bytes: [UInt8] = [UInt8(ascii: "\"")]
    for byte in token.utf8 {
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
        bytes.append(UInt8(ascii: "\\"))
      }
      bytes.append(byte)
    }
    bytes.append(UInt8(ascii: "\""))
    return String(decoding: bytes, as: UTF8.self)
  }

  private static func string(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  // Not inlined: each option's test is then a call to one copy, not a copy of
  // its own (under TCG, code run once per boot is translated first).
  @inline(never)
  private static func equal(_ token: [UInt8], _ literal: StaticString) -> Bool {
    literal.withUTF8Buffer { token.elementsEqual($0) }
  }

  @inline(never)
  private static func value(of prefix: StaticString, in token: [UInt8]) -> String? {
    prefix.withUTF8Buffer { bytes -> String? in
      guard token.count >= bytes.count, token.prefix(bytes.count).elementsEqual(bytes) else {
        return nil
      }
      return string(Array(token[bytes.count...]))
    }
  }
}

extension KernelCommandLine {
  /// Whether the bare option `name` appears before `--`. The kernel checks
  /// `quiet` at boot and parses the rest only when the app first asks for its
  /// arguments or environment. Tokenizes exactly as `parse` does, so the two
  /// can never disagree about quoting.
  public static func hasOption(_ name: StaticString, in line: UnsafeRawBufferPointer) -> Bool {
    name.withUTF8Buffer { wanted -> Bool in
      // Compare each token on the fly, without allocating it: the kernel asks
      // at boot, and allocation would be the slow part.
      var length = 0
      var isName = true
      var isSeparator = true
      var found = false
      tokenize(line) { byte in
        isName = isName && length < wanted.count && wanted[length] == byte
        isSeparator = isSeparator && length < 2 && byte == UInt8(ascii: "-")
        length += 1
      } end: {
        defer { (length, isName, isSeparator) = (0, true, true) }
        if isSeparator && length == 2 { return false }
        if isName && length == wanted.count {
          found = true
          return false
        }
        return true
      }
      return found
    }
  }

}
