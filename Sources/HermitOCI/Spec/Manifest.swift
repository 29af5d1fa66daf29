/// An image manifest: image-spec/manifest.md (schema/image-manifest-schema.json).
public struct Manifest: Codable, Equatable, Sendable {
  /// Always 2 for this spec version.
  public var schemaVersion: Int
  /// `application/vnd.oci.image.manifest.v1+json`; optional in the spec but written by us.
  public var mediaType: String?
  /// Set when the manifest is an artifact, not an image (image-spec v1.1).
  public var artifactType: String?
  /// The image configuration blob.
  public var config: Descriptor
  /// Layers in application order (base first).
  public var layers: [Descriptor]
  public var annotations: [String: String]?

  public init(config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
    self.schemaVersion = 2
    self.mediaType = MediaType.imageManifest
    self.config = config
    self.layers = layers
    self.annotations = annotations
  }
}
