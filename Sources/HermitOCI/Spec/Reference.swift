/// An image reference `[domain/]path[:tag][@digest]`, parsed by the grammar of
/// distribution/reference (reference.go), which docker, podman and containerd share:
///
///     reference        := name [ ":" tag ] [ "@" digest ]
///     name             := [domain '/'] path-component ['/' path-component]*
///     domain           := domain-component ['.' domain-component]* [':' port-number]
///     domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
///     path-component   := alpha-numeric [separator alpha-numeric]*
///     alpha-numeric    := /[a-z0-9]+/
///     separator        := /[_.]|__|[-]+/
///     tag              := /[\w][\w.-]{0,127}/
///
/// The first component is a domain only if it contains `.` or `:`, is `localhost`,
/// or has an uppercase letter (docker's `splitDockerDomain`). Names are not
/// rewritten to `docker.io/library/...`: the store is local and keeps what it is given.
public struct Reference: Hashable, CustomStringConvertible, Sendable {
  /// Registry host and optional port, if the reference names one.
  public var domain: String?
  /// Repository path below the domain.
  public var path: String
  public var tag: String?
  public var digest: Digest?

  /// The repository name: `domain/path` or `path`.
  public var name: String { domain.map { $0 + "/" + path } ?? path }

  /// The canonical string: `name[:tag][@digest]`.
  public var description: String {
    var s = name
    if let tag { s += ":" + tag }
    if let digest { s += "@" + digest.description }
    return s
  }

  /// The reference with tag `latest` when it names neither tag nor digest, as
  /// `docker pull hello` means `hello:latest`.
  public var withDefaultTag: Reference {
    var r = self
    if r.tag == nil && r.digest == nil { r.tag = "latest" }
    return r
  }

  /// The longest name the grammar allows (NameTotalLengthMax).
  public static let maxNameLength = 255

  /// Parses `string` strictly; throws `invalidReference` with the reason.
  public init(parsing string: String) throws {
    func fail(_ reason: String) -> HermitOCIError { .invalidReference(string, reason: reason) }
    guard !string.isEmpty else { throw fail("empty reference") }
    var rest = Substring(string)
    if let at = rest.firstIndex(of: "@") {
      let digestText = String(rest[rest.index(after: at)...])
      guard let digest = try? Digest(parsing: digestText) else {
        throw fail(
          "bad digest \(Sanitized.quoted(digestText)) (expected sha256:<64 lowercase hex>)")
      }
      self.digest = digest
      rest = rest[..<at]
    }
    let lastSlash = rest.lastIndex(of: "/")
    if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
      let tag = String(rest[rest.index(after: colon)...])
      guard Reference.isValidTag(tag) else {
        throw fail(
          "bad tag \(Sanitized.quoted(tag)) (1-128 of [A-Za-z0-9_.-], not starting with . or -)")
      }
      self.tag = tag
      rest = rest[..<colon]
    }
    guard !rest.isEmpty else { throw fail("empty name") }
    guard rest.count <= Reference.maxNameLength else {
      throw fail("name longer than \(Reference.maxNameLength) characters")
    }
    var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    if components.count > 1, Reference.looksLikeDomain(components[0]) {
      let domain = components.removeFirst()
      guard Reference.isValidDomain(domain) else {
        throw fail("bad domain \(Sanitized.quoted(domain))")
      }
      self.domain = domain
    }
    for component in components where !Reference.isValidPathComponent(component) {
      if component.isEmpty { throw fail("empty path component") }
      if component.contains(where: \.isUppercase) {
        throw fail("repository name must be lowercase")
      }
      throw fail("bad path component \(Sanitized.quoted(component))")
    }
    self.path = components.joined(separator: "/")
  }

  /// Builds a reference from parts already known to be valid.
  public init(domain: String? = nil, path: String, tag: String? = nil, digest: Digest? = nil) {
    self.domain = domain
    self.path = path
    self.tag = tag
    self.digest = digest
  }

  static func looksLikeDomain(_ s: String) -> Bool {
    s.contains(".") || s.contains(":") || s == "localhost" || s.contains(where: \.isUppercase)
  }

  static func isValidTag(_ tag: String) -> Bool {
    let bytes = Array(tag.utf8)
    guard (1...128).contains(bytes.count), isWord(bytes[0]) else { return false }
    return bytes.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
  }

  static func isValidPathComponent(_ s: String) -> Bool {
    // alpha-numeric (separator alpha-numeric)*, separator = [_.] | __ | -+
    let bytes = Array(s.utf8)
    guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last)
    else { return false }
    var i = 0
    while i < bytes.count {
      if isLowerAlnum(bytes[i]) {
        i += 1
        continue
      }
      // A run of separator characters between two alphanumerics.
      var j = i
      while j < bytes.count && !isLowerAlnum(bytes[j]) { j += 1 }
      let run = bytes[i..<j]
      let ok =
        run.elementsEqual([UInt8(ascii: "_")]) || run.elementsEqual([UInt8(ascii: ".")])
        || run.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
        || run.allSatisfy { $0 == UInt8(ascii: "-") }
      if !ok { return false }
      i = j
    }
    return true
  }

  static func isValidDomain(_ domain: String) -> Bool {
    var host = Substring(domain)
    if let colon = domain.lastIndex(of: ":"), !domain.hasSuffix("]") {
      let port = domain[domain.index(after: colon)...]
      guard !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else {
        return false
      }
      host = domain[..<colon]
    }
    if host.hasPrefix("[") && host.hasSuffix("]") {
      // IPv6 literal: hex digits and colons.
      let inner = host.dropFirst().dropLast()
      return !inner.isEmpty && inner.allSatisfy { $0.isHexDigit || $0 == ":" }
    }
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return !parts.isEmpty
      && parts.allSatisfy { part in
        let b = Array(part.utf8)
        guard let f = b.first, let l = b.last, isAlnum(f), isAlnum(l) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
      }
  }

  private static func isLowerAlnum(_ c: UInt8) -> Bool {
    (0x30...0x39).contains(c) || (0x61...0x7a).contains(c)
  }
  private static func isAlnum(_ c: UInt8) -> Bool {
    isLowerAlnum(c) || (0x41...0x5a).contains(c)
  }
  private static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }
}
