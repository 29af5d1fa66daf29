/// The `oci-layout` file of an image layout: image-spec/image-layout.md
/// (schema/image-layout-schema.json).
public struct ImageLayout: Codable, Equatable, Sendable {
  public var imageLayoutVersion: String
  public init() { imageLayoutVersion = "1.0.0" }
}
