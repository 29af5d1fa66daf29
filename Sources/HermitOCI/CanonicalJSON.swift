import FoundationEssentials

/// Deterministic JSON for everything hermit writes, and bounded decoding for
/// everything it reads.
///
/// Sorted keys and unescaped slashes make the same value always give the same bytes,
/// so the same inputs give the same digests (reproducible images).
public enum CanonicalJSON {
  /// Documents larger than this are refused before parsing: manifests and configs
  /// of hermit images are a few KiB, and an unbounded document is a memory bomb.
  public static let maxDocumentSize = 4 << 20

  /// Encodes `value` with sorted keys and no escaped slashes, without a trailing newline.
  public static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
  }

  /// Pretty form for humans (`inspect`), also sorted.
  public static func encodePretty<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
    return try encoder.encode(value)
  }

  /// Decodes `data` as `T`, refusing oversize documents and duplicate keys
  /// (`duplicateKey(in:)`); `what` names the document in the one-line error.
  public static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T
  {
    guard data.count <= maxDocumentSize else {
      throw HermitOCIError.invalidJSON(
        what: what, reason: "document of \(data.count) bytes exceeds \(maxDocumentSize)")
    }
    let value: T
    do {
      value = try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
      throw HermitOCIError.invalidJSON(what: what, reason: Self.describe(error))
    } catch {
      throw HermitOCIError.invalidJSON(what: what, reason: "malformed JSON")
    }
    if let key = duplicateKey(in: data) {
      throw HermitOCIError.invalidJSON(
        what: what, reason: "duplicate key \(Sanitized.quoted(key))")
    }
    return value
  }

  /// One line saying what went wrong and where.
  static func describe(_ error: DecodingError) -> String {
    func path(_ p: [CodingKey]) -> String {
      p.isEmpty
        ? "top level"
        : Sanitized.escaped(
          p.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "."))
    }
    switch error {
    case .keyNotFound(let key, let ctx):
      return "missing field \(Sanitized.quoted(key.stringValue)) at \(path(ctx.codingPath))"
    case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
      return "wrong type at \(path(ctx.codingPath))"
    case .dataCorrupted(let ctx):
      if ctx.codingPath.isEmpty { return "malformed JSON" }
      return "\(Sanitized.escaped(ctx.debugDescription)) at \(path(ctx.codingPath))"
    @unknown default:
      return "malformed JSON"
    }
  }
}
