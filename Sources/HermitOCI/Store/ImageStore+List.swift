import FoundationEssentials

extension ImageStore {
  /// One row of `list`.
  public struct ImageSummary: Codable, Sendable {
    public var repository: String
    public var tag: String
    /// `sha256:<hex>` of the config (the image ID).
    public var id: String
    public var digest: String
    public var size: Int64
    public var created: String?
    public var os: String
    public var architecture: String
  }

  /// All named images, sorted by name. Images whose blobs are unreadable are left out
  /// (they can only come from outside tampering).
  public func list() throws -> [ImageSummary] {
    try references().compactMap { name, _ in
      guard let image = try? resolve(name), let reference = try? Reference(parsing: name) else {
        return nil
      }
      return ImageSummary(
        repository: reference.name, tag: reference.tag ?? "<none>", id: image.imageID.description,
        digest: image.manifestDigest, size: image.size, created: image.config.created,
        os: image.config.os, architecture: image.config.architecture)
    }.sorted { ($0.repository, $0.tag) < ($1.repository, $1.tag) }
  }
}
