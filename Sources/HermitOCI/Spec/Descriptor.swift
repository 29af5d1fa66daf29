/// A content descriptor: image-spec/descriptor.md (schema/content-descriptor.json).
public struct Descriptor: Codable, Equatable, Hashable, Sendable {
  /// Media type of the referenced content.
  public var mediaType: String
  /// Digest of the referenced content.
  public var digest: Digest
  /// Size in bytes of the referenced content.
  public var size: Int64
  /// Arbitrary metadata (`org.opencontainers.image.ref.name` in an index).
  public var annotations: [String: String]?
  /// Platform of a manifest referenced from an index.
  public var platform: Platform?

  public init(
    mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil,
    platform: Platform? = nil
  ) {
    self.mediaType = mediaType
    self.digest = digest
    self.size = size
    self.annotations = annotations
    self.platform = platform
  }
}
