import CCrypto
import FoundationEssentials

/// A content digest `sha256:<64 lowercase hex>` (image-spec/descriptor.md#digests).
///
/// Only sha256 is accepted: it is the one algorithm every tool here writes, and
/// accepting others would mean trusting digests we cannot check.
public struct Digest: Hashable, Comparable, Codable, CustomStringConvertible, Sendable {
  /// The lowercase hex encoding of the hash.
  public let hex: String

  /// Parses `sha256:<hex>`; throws `invalidDigest` for anything else.
  public init(parsing string: String) throws {
    let prefix = "sha256:"
    guard string.hasPrefix(prefix) else { throw HermitOCIError.invalidDigest(string) }
    let hex = String(string.dropFirst(prefix.count))
    guard Digest.isHex64(hex) else { throw HermitOCIError.invalidDigest(string) }
    self.hex = hex
  }

  /// Wraps a hex string already known to be 64 lowercase hex characters.
  init(validatedHex hex: String) { self.hex = hex }

  /// The digest of `data`.
  public static func sha256(_ data: some DataProtocol) -> Digest {
    let hasher = DigestHasher()
    for region in data.regions { region.withUnsafeBytes { hasher.update($0) } }
    return hasher.finalize()
  }

  /// `true` for exactly 64 characters of `[0-9a-f]`.
  public static func isHex64(_ s: String) -> Bool {
    s.utf8.count == 64
      && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
  }

  public var description: String { "sha256:" + hex }
  /// The first 12 hex digits, as `docker images` shows an image ID.
  public var short: String { String(hex.prefix(12)) }

  public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

  public init(from decoder: Decoder) throws {
    let string = try decoder.singleValueContainer().decode(String.self)
    do { try self.init(parsing: string) } catch {
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: decoder.codingPath,
          debugDescription: "invalid digest \(Sanitized.quoted(string))"))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

extension Sequence where Element == UInt8 {
  var hexString: String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for byte in self {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0xf)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}

/// Incremental SHA-256 for streams (layers and blobs too big to hold at once),
/// by the system's libcrypto (which picks SHA-NI or AVX2 when the CPU has them).
final class DigestHasher {
  private var context = SHA256_CTX()
  private(set) var count: Int64 = 0

  init() {
    guard SHA256_Init(&context) == 1 else {
      fatalError("libcrypto cannot start a SHA-256 digest")
    }
  }

  func update(_ buffer: UnsafeRawBufferPointer) {
    guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
    SHA256_Update(&context, base, buffer.count)
    count += Int64(buffer.count)
  }

  func update(_ data: Data) {
    data.withUnsafeBytes { update($0) }
  }

  /// The digest of everything so far; call once, after the last update.
  func finalize() -> Digest {
    var hash = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    SHA256_Final(&hash, &context)
    return Digest(validatedHex: hash.hexString)
  }
}
