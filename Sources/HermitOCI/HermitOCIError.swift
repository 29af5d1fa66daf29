/// Every failure of the HermitOCI library, one case per thing a user can act on.
///
/// The description is always one line: `hermit-image` prints it after
/// `hermit-image: error: ` and `hermit-runtime` the same way.
public enum HermitOCIError: Error, Equatable, CustomStringConvertible, Sendable {
  /// A reference does not follow the OCI/docker naming grammar.
  case invalidReference(String, reason: String)
  /// No image in the store answers to this reference.
  case imageNotFound(String)
  /// A digest string is malformed or uses an algorithm other than sha256.
  case invalidDigest(String)
  /// A blob's content does not hash to the digest its descriptor names.
  case digestMismatch(what: String, expected: String, actual: String)
  /// A blob's length differs from its descriptor's size.
  case sizeMismatch(what: String, expected: Int64, actual: Int64)
  /// A blob named by a descriptor is absent.
  case missingBlob(String)
  /// A JSON document is malformed, too large or misses required fields.
  case invalidJSON(what: String, reason: String)
  /// A media type this tool does not handle.
  case unsupportedMediaType(what: String, mediaType: String)
  /// The tarball is not an OCI image layout (for example a docker-archive).
  case notAnOCILayout(String)
  /// The image is a valid OCI image but not a hermit image (wrong os, missing files).
  case notAHermitImage(String)
  /// A tar entry is unsafe or malformed (traversal, link, device, duplicate, bomb).
  case unsafeArchive(String)
  /// libarchive reported an error while reading or writing.
  case archive(String)
  /// A file system operation failed.
  case io(path: String, reason: String)
  /// Anything else a caller passed wrongly (bad flag values and the like).
  case invalidArgument(String)

  /// The message, with any control character from image data escaped (`\u{1b}`).
  public var description: String { Sanitized.line(rawDescription) }

  var rawDescription: String {
    switch self {
    case .invalidReference(let ref, let reason):
      return "invalid reference \(Sanitized.quoted(ref)): \(reason)"
    case .imageNotFound(let ref):
      return "no such image: \(ref)"
    case .invalidDigest(let digest):
      return "invalid digest \(Sanitized.quoted(digest)) (expected sha256:<64 lowercase hex>)"
    case .digestMismatch(let what, let expected, let actual):
      return "digest mismatch for \(what): expected \(expected), got \(actual)"
    case .sizeMismatch(let what, let expected, let actual):
      return "size mismatch for \(what): descriptor says \(expected) bytes, content has \(actual)"
    case .missingBlob(let what):
      return "missing blob: \(what)"
    case .invalidJSON(let what, let reason):
      return "invalid JSON in \(what): \(reason)"
    case .unsupportedMediaType(let what, let mediaType):
      return "unsupported media type \(Sanitized.quoted(mediaType)) for \(what)"
    case .notAnOCILayout(let reason):
      return "not an OCI image layout: \(reason)"
    case .notAHermitImage(let reason):
      return "not a hermit image: \(reason)"
    case .unsafeArchive(let reason):
      return "rejected archive: \(reason)"
    case .archive(let reason):
      return "archive error: \(reason)"
    case .io(let path, let reason):
      return "\(path): \(reason)"
    case .invalidArgument(let reason):
      return reason
    }
  }
}

extension HermitOCIError {
  /// Builds an `.io` error from the current `errno`.
  static func posix(_ path: String, _ operation: String, errno code: Int32) -> HermitOCIError {
    .io(path: path, reason: "\(operation): \(String(cString: strerror(code)))")
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
