/// Media types of the OCI image spec v1.1 (image-spec/media-types.md) that hermit
/// images use or that loading recognises.
public enum MediaType {
  /// `oci-layout` / index.json top level (image-spec/image-index.md).
  public static let imageIndex = "application/vnd.oci.image.index.v1+json"
  /// image-spec/manifest.md.
  public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
  /// image-spec/config.md. Hermit images use the standard config type: a custom one
  /// is rejected by umoci, podman and `skopeo inspect` (PLATFORM.md).
  public static let imageConfig = "application/vnd.oci.image.config.v1+json"
  /// A gzip-compressed tar layer (image-spec/layer.md).
  public static let layerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
  /// An uncompressed tar layer.
  public static let layerTar = "application/vnd.oci.image.layer.v1.tar"
  /// A zstd-compressed tar layer (`skopeo copy --dest-compress-format zstd`).
  public static let layerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd"

  /// Docker's manifest list and manifest (recognised only to name them in errors).
  public static let dockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json"
  public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

  /// Layer media types a hermit image may carry.
  public static let layerTypes: Set<String> = [layerTarGzip, layerTar, layerTarZstd]
}

/// Annotation and label keys (image-spec/annotations.md plus hermit's own).
public enum AnnotationKey {
  /// The reference of a manifest in an index (image-spec/annotations.md).
  public static let refName = "org.opencontainers.image.ref.name"
  /// containerd's `ctr import` names images from this one.
  public static let containerdImageName = "io.containerd.image.name"
  /// Creation time (RFC 3339).
  public static let created = "org.opencontainers.image.created"
  /// Hermit's runtime metadata, mirrored from `HermitMetadata`.
  public static let cpus = "org.hermit.cpus"
  public static let memory = "org.hermit.memory"
  public static let ports = "org.hermit.ports"
  public static let loader = "org.hermit.loader"
  public static let app = "org.hermit.app"
  public static let metadata = "org.hermit.metadata"
}
