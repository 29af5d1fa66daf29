import FoundationEssentials

extension ImageStore {
  /// Writes the named images as one layout tarball (`save`).
  public func save(_ references: [String], to url: URL) throws {
    var images: [(reference: Reference, manifest: Descriptor)] = []
    var blobs: [Digest: LayoutArchive.BlobSource] = [:]
    for text in references {
      let image = try resolve(text)
      let reference = try Reference(parsing: image.reference)
      images.removeAll { $0.reference == reference }
      images.append((reference, image.manifestDescriptor.withoutAnnotations))
      let descriptors = [image.manifestDescriptor, image.manifest.config] + image.layers
      for descriptor in descriptors {
        let blob = blobURL(descriptor.digest)
        guard FileManager.default.fileExists(atPath: blob.path) else {
          throw HermitOCIError.missingBlob("\(descriptor.digest) of \(image.reference)")
        }
        blobs[descriptor.digest] = .file(blob, size: descriptor.size)
      }
    }
    try LayoutArchive.write(to: url, images: images, blobs: blobs)
  }
}

extension Descriptor {
  /// The descriptor with neither annotations nor platform (the bare manifest pointer).
  var withoutAnnotations: Descriptor {
    Descriptor(mediaType: mediaType, digest: digest, size: size)
  }
}
