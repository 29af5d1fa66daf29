/// An image found in the store or in a layout tarball, with its documents parsed.
public struct ResolvedImage: Sendable {
  /// The name it was found under (`name:tag`).
  public let reference: String
  /// `sha256:<hex>` of the manifest.
  public let manifestDigest: String
  /// The image configuration (entrypoint, cmd, env, labels).
  public let config: ImageConfig
  /// Layers in application order.
  public let layers: [Descriptor]
  /// The manifest itself.
  public let manifest: Manifest
  /// The manifest's descriptor.
  public let manifestDescriptor: Descriptor

  /// The image ID: the config digest, as docker and podman show it.
  public var imageID: Digest { manifest.config.digest }

  /// Total size of the manifest, config and layer blobs.
  public var size: Int64 {
    manifestDescriptor.size + manifest.config.size + layers.reduce(0) { $0 + $1.size }
  }
}
