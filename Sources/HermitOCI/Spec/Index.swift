/// An image index (and `index.json` of a layout): image-spec/image-index.md
/// (schema/image-index-schema.json).
public struct Index: Codable, Equatable, Sendable {
  /// Always 2.
  public var schemaVersion: Int
  /// `application/vnd.oci.image.index.v1+json`.
  public var mediaType: String?
  /// The manifests; in a layout each carries its name in `org.opencontainers.image.ref.name`.
  public var manifests: [Descriptor]
  public var annotations: [String: String]?

  public init(manifests: [Descriptor], annotations: [String: String]? = nil) {
    self.schemaVersion = 2
    self.mediaType = MediaType.imageIndex
    self.manifests = manifests
    self.annotations = annotations
  }
}
