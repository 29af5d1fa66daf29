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
  ///
  /// The index is read once and each manifest (with its config) once, however many
  /// names it has: the cost is linear in the store.
  public func list() throws -> [ImageSummary] {
    var resolved: [Digest: ResolvedImage?] = [:]
    return try references().compactMap { name, descriptor in
      guard let reference = try? Reference(parsing: name) else { return nil }
      let image: ResolvedImage
      if let known = resolved[descriptor.digest] {
        guard let known else { return nil }
        image = known
      } else {
        let found = try? resolve(name: name, manifest: descriptor)
        resolved[descriptor.digest] = .some(found)
        guard let found else { return nil }
        image = found
      }
      return ImageSummary(
        repository: reference.name, tag: reference.tag ?? "<none>", id: image.imageID.description,
        digest: descriptor.digest.description, size: image.size, created: image.config.created,
        os: image.config.os, architecture: image.config.architecture)
    }.sorted { ($0.repository, $0.tag) < ($1.repository, $1.tag) }
  }
}
