import FoundationEssentials

/// What `hermit-image build` packs, besides the two ELF files.
public struct ImageSpec: Sendable {
  /// The name the image gets in index.json.
  public var reference: Reference
  /// Runtime metadata (cpus, memory, ports, paths).
  public var metadata: HermitMetadata
  /// `KEY=VALUE` environment entries.
  public var env: [String]
  /// Default arguments (Cmd).
  public var args: [String]
  /// Timestamp for the app layer's entries and `created` (SOURCE_DATE_EPOCH or 0;
  /// `hermit-image build` passes the newest source file's date).
  public var epoch: Int
  /// Timestamp for the loader layer's entry: SOURCE_DATE_EPOCH or 0, whatever the
  /// app's date, so that every image with the same loader shares that layer.
  public var loaderEpoch: Int

  public init(
    reference: Reference, metadata: HermitMetadata = HermitMetadata(), env: [String] = [],
    args: [String] = [], epoch: Int = reproducibleEpoch(), loaderEpoch: Int = reproducibleEpoch()
  ) {
    self.reference = reference
    self.metadata = metadata
    self.env = env
    self.args = args
    self.epoch = epoch
    self.loaderEpoch = loaderEpoch
  }

  /// Refuses bad metadata and environment entries, before anything is compiled or packed.
  public func validate() throws {
    try metadata.validate()
    for entry in env where !entry.contains("=") || entry.hasPrefix("=") {
      throw HermitOCIError.invalidArgument(
        "invalid environment entry \(Sanitized.quoted(entry)) (expected KEY=VALUE)")
    }
  }
}

/// A built image held in memory: its blobs by digest plus the parsed documents.
public struct BuiltImage: Sendable {
  public let reference: Reference
  /// The manifest's descriptor (no annotations; index.json adds the name).
  public let manifestDescriptor: Descriptor
  public let manifest: Manifest
  public let config: ImageConfig
  /// Manifest, config and layer blobs.
  public let blobs: [Digest: Data]
}

/// Packs a loader and an app into a hermit OCI image (DESIGN.md, Images).
///
/// Layer 1 holds only `hermit/loader`, so every image built with the same loader
/// shares that blob. Layer 2 holds `hermit/app` and `hermit/image.json`.
public enum ImageBuilder {
  /// Builds the image. Everything is derived from the inputs and `spec.epoch`, so the
  /// same inputs always give the same digests.
  public static func build(loader: Data, app: Data, spec: ImageSpec) throws -> BuiltImage {
    try spec.validate()
    let metadata = spec.metadata
    let loaderLayer = try layer(
      epoch: spec.loaderEpoch, files: [(metadata.loader, loader, 0o755)])
    let metadataJSON = try CanonicalJSON.encodePretty(metadata) + Data("\n".utf8)
    let appLayer = try layer(
      epoch: spec.epoch,
      files: [(metadata.app, app, 0o755), (HermitMetadata.path, metadataJSON, 0o644)])

    let created = RFC3339.string(seconds: spec.epoch)
    var execution = ImageConfig.Config()
    execution.entrypoint = ["/" + metadata.app]
    execution.cmd = spec.args.isEmpty ? nil : spec.args
    execution.env = spec.env.isEmpty ? nil : spec.env
    execution.labels = metadata.labels
    if !metadata.exposedPorts.isEmpty {
      execution.exposedPorts = Dictionary(
        uniqueKeysWithValues: metadata.exposedPorts.map { ("\($0)/tcp", EmptyObject()) })
    }
    let config = ImageConfig(
      created: created, architecture: Platform.hermit.architecture, os: Platform.hermit.os,
      config: execution,
      rootfs: .init(diffIDs: [loaderLayer.diffID, appLayer.diffID]),
      history: [
        .init(
          created: RFC3339.string(seconds: spec.loaderEpoch),
          createdBy: "hermit-image build: loader (\(metadata.loader))"),
        .init(created: created, createdBy: "hermit-image build: app (\(metadata.app))"),
      ])
    let configData = try CanonicalJSON.encode(config)
    let configDescriptor = Descriptor(
      mediaType: MediaType.imageConfig, digest: .sha256(configData), size: Int64(configData.count))

    var annotations = metadata.labels
    annotations[AnnotationKey.created] = created
    let manifest = Manifest(
      config: configDescriptor,
      layers: [loaderLayer.descriptor, appLayer.descriptor], annotations: annotations)
    let manifestData = try CanonicalJSON.encode(manifest)
    let manifestDescriptor = Descriptor(
      mediaType: MediaType.imageManifest, digest: .sha256(manifestData),
      size: Int64(manifestData.count))

    var blobs: [Digest: Data] = [:]
    blobs[loaderLayer.descriptor.digest] = loaderLayer.data
    blobs[appLayer.descriptor.digest] = appLayer.data
    blobs[configDescriptor.digest] = configData
    blobs[manifestDescriptor.digest] = manifestData
    return BuiltImage(
      reference: spec.reference, manifestDescriptor: manifestDescriptor, manifest: manifest,
      config: config, blobs: blobs)
  }

  struct Layer {
    var data: Data
    var descriptor: Descriptor
    var diffID: Digest
  }

  /// A gzip tar layer with the parent directories of `files` and the files, in order.
  static func layer(epoch: Int, files: [(path: String, data: Data, mode: Int32)]) throws -> Layer {
    let writer = try TarWriter(compression: .gzip, mtime: epoch)
    var directories = Set<String>()
    for file in files {
      var parents: [String] = []
      var path = Substring(file.path)
      while let slash = path.lastIndex(of: "/") {
        path = path[..<slash]
        parents.insert(String(path), at: 0)
      }
      for parent in parents where directories.insert(parent).inserted {
        try writer.addDirectory(parent)
      }
      try writer.addFile(file.path, data: file.data, mode: file.mode)
    }
    let data = try writer.finish()
    let diffID = try DecompressedStream.diffID(ofLayer: data, compression: .gzip)
    return Layer(
      data: data,
      descriptor: Descriptor(
        mediaType: MediaType.layerTarGzip, digest: .sha256(data), size: Int64(data.count)),
      diffID: diffID)
  }
}
