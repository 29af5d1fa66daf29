import FoundationEssentials

/// Unpacks a hermit image's layers into a directory (an OCI bundle's rootfs), for
/// `hermit-runtime`. Layers get the checks of `load` (diff_id and tar safety, and
/// for a tarball also every digest and size); files are created without following
/// links (`RootfsWriter`). Later layers replace files of earlier ones.
public enum ImageUnpacker {
  /// Verifies the first image of an OCI layout tarball completely and unpacks its
  /// layers into `directory`. Nothing touches a store: blobs are staged in a
  /// temporary directory that is removed afterwards.
  public static func unpack(layoutTarball: URL, into directory: URL) throws -> ResolvedImage {
    try unpack(layoutTarball: layoutTarball, reference: nil, into: directory)
  }

  /// Like `unpack(layoutTarball:into:)`, choosing the image named `reference`
  /// (`name[:tag]`) when the tarball holds several; nil takes the first.
  public static func unpack(layoutTarball: URL, reference: String?, into directory: URL) throws
    -> ResolvedImage
  {
    try unpack(
      layoutTarball: layoutTarball, reference: reference, into: directory,
      stagingIn: FileManager.default.temporaryDirectory)
  }

  /// Like `unpack(layoutTarball:reference:into:)`, staging blobs under
  /// `stagingParent` (a private directory of the caller's, where
  /// `removeStaleStaging(in:)` finds what killed unpacks left).
  public static func unpack(
    layoutTarball: URL, reference: String?, into directory: URL, stagingIn stagingParent: URL
  ) throws -> ResolvedImage {
    let staging = try StagingArea(parent: stagingParent, guardLock: nil, durability: .volatile)
    defer { staging.discard() }
    let images = try LayoutLoader.load(layoutTarball, into: staging)
    var image = images[0]
    if let reference {
      let wanted = try Reference(parsing: reference).withDefaultTag
      guard let found = images.first(where: { $0.reference == wanted }) else {
        throw HermitOCIError.imageNotFound("\(reference) in \(layoutTarball.lastPathComponent)")
      }
      image = found
    }
    let writer = try RootfsWriter(root: directory)
    for layer in image.manifest.layers {
      _ = try LayerReader.read(
        url: staging.blobs[layer.digest]!, descriptor: layer, name: "layer \(layer.digest.short)",
        extractInto: writer)
    }
    return ResolvedImage(
      reference: image.reference.description,
      manifestDigest: image.manifestDescriptor.digest.description,
      config: image.config, layers: image.manifest.layers, manifest: image.manifest,
      manifestDescriptor: image.manifestDescriptor)
  }

  /// Removes the staging directories under `parent` whose unpack is gone (its
  /// lock is free). - Returns: the bytes freed.
  @discardableResult
  public static func removeStaleStaging(in parent: URL) -> Int64 {
    StagingArea.removeStale(in: parent)
  }

  /// Unpacks the layers of a stored image into `directory`, checking each layer's
  /// diff_id (the digest of its uncompressed content) and tar safety on the way.
  /// Blob digests were checked when the image entered the store; the diff_id catches
  /// any later change to a layer's content.
  public static func unpack(_ image: ResolvedImage, from store: ImageStore, into directory: URL)
    throws
  {
    let writer = try RootfsWriter(root: directory)
    for (layer, diffID) in zip(image.layers, image.config.rootfs.diffIDs) {
      let url = store.blobURL(layer.digest)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw HermitOCIError.missingBlob("layer \(layer.digest) of \(image.reference)")
      }
      let result = try LayerReader.read(
        url: url, descriptor: layer, name: "layer \(layer.digest.short)", extractInto: writer)
      guard result.diffID == diffID else {
        throw HermitOCIError.digestMismatch(
          what: "layer \(layer.digest.short) of \(image.reference) (diff_id)",
          expected: diffID.description,
          actual: result.diffID.description)
      }
    }
  }
}
