import FoundationEssentials
import HermitSystem

extension ImageStore {
  /// Loads every image of a layout tarball. All of it is verified in a staging
  /// directory first; only then are the blobs moved in and the names added, under
  /// the lock. On any error the store is unchanged. Returns the names loaded.
  @discardableResult
  public func load(layoutTarball url: URL) throws -> [String] {
    let staging = try StagingArea(parent: tmpURL, guardLock: lockURL)
    defer { staging.discard() }
    let images = try LayoutLoader.load(url, into: staging)
    try commit(
      images: images.map { ($0.reference, $0.manifestDescriptor, $0.blobs) }, staging: staging)
    return images.map(\.reference.description)
  }

  /// Stores a freshly built image under its reference.
  public func add(_ image: BuiltImage) throws {
    let staging = try StagingArea(parent: tmpURL, guardLock: lockURL)
    defer { staging.discard() }
    // Every blob is staged, even one already stored: a concurrent prune may delete
    // that one before the commit takes the lock.
    for digest in image.blobs.keys.sorted() {
      try staging.write(image.blobs[digest]!, what: "blob \(digest)")
    }
    try commit(
      images: [(image.reference.withDefaultTag, image.manifestDescriptor, Array(image.blobs.keys))],
      staging: staging)
  }

  /// Under the lock: renames staged blobs into `blobs/` (skipping those already
  /// there), fsyncs the directory, then names the images in the index.
  func commit(images: [(Reference, Descriptor, [Digest])], staging: StagingArea) throws {
    try withLock {
      var moved = false
      for digest in Set(images.flatMap(\.2)).sorted() {
        let target = blobURL(digest)
        if FileManager.default.fileExists(atPath: target.path) { continue }
        guard let source = staging.blobs[digest] else {
          throw HermitOCIError.missingBlob(digest.description)
        }
        guard rename(source.path, target.path) == 0 else {
          throw HermitOCIError.posix(target.path, "rename", errno: errno)
        }
        moved = true
      }
      if moved { AtomicFile.syncDirectory(blobsURL) }
      // Keyed by name: a load of many names costs one pass, not one per name.
      var index = try readIndex()
      var named: [String: Descriptor] = [:]
      var unnamed: [Descriptor] = []
      for entry in index.manifests {
        if let name = entry.annotations?[AnnotationKey.refName] {
          named[name] = entry
        } else {
          unnamed.append(entry)
        }
      }
      for (reference, manifest, _) in images {
        let name = reference.description
        named[name] = ImageStore.indexEntry(manifest, reference: name)
      }
      index.manifests = unnamed + Array(named.values)
      try writeIndex(index)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
