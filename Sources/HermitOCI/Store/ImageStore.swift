import FoundationEssentials
import HermitSystem

/// The local, registry-free image store.
///
/// The store directory is itself an OCI image layout, so `skopeo copy oci:DIR:REF ...`
/// reads it too:
///
///     <root>/oci-layout          {"imageLayoutVersion":"1.0.0"}
///     <root>/index.json          the reference index: one manifest descriptor per
///                                name:tag, named by org.opencontainers.image.ref.name
///     <root>/blobs/sha256/<hex>  content-addressed blobs
///     <root>/lock                flock(2) taken by every index update and by prune
///     <root>/tmp/                staging directories of commands in progress
///
/// Caller contract and guarantees:
/// - Blobs are written to `tmp/`, verified, fsynced and renamed into `blobs/`; the
///   index is replaced atomically (write, fsync, rename) under the lock. A command
///   killed at any moment leaves the old index and only complete blobs.
/// - Blobs are renamed into place under the same lock as the index update, so a
///   concurrent `prune` never deletes a blob that an index update is about to name.
/// - Readers take no lock: they see one complete index.json or the next.
public struct ImageStore: Sendable {
  /// The store directory.
  public let root: URL

  var indexURL: URL { root.appendingPathComponent("index.json") }
  var lockURL: URL { root.appendingPathComponent("lock") }
  var blobsURL: URL { root.appendingPathComponent("blobs/sha256") }
  var tmpURL: URL { root.appendingPathComponent("tmp") }

  /// Opens the store at `root`, creating its skeleton if needed.
  public init(root: URL) throws {
    self.root = root
    do {
      try FileManager.default.createDirectory(at: blobsURL, withIntermediateDirectories: true)
      try FileManager.default.createDirectory(at: tmpURL, withIntermediateDirectories: true)
    } catch {
      throw HermitOCIError.io(path: root.path, reason: "cannot create store directory")
    }
    let layoutURL = root.appendingPathComponent("oci-layout")
    if !FileManager.default.fileExists(atPath: layoutURL.path) {
      try AtomicFile.write(try CanonicalJSON.encode(ImageLayout()), to: layoutURL)
    }
    if !FileManager.default.fileExists(atPath: indexURL.path) {
      try withLock {
        if !FileManager.default.fileExists(atPath: indexURL.path) {
          try AtomicFile.write(try CanonicalJSON.encode(Index(manifests: [])), to: indexURL)
        }
      }
    }
  }

  /// `$HERMIT_HOME`, else `$XDG_DATA_HOME/hermit`, else `~/.local/share/hermit`.
  public static func defaultRoot() -> URL { HermitDirectories.imageStore() }

  /// Runs `body` holding the store lock.
  func withLock<T>(_ body: () throws -> T) throws -> T {
    guard let lock = try FileLock(url: lockURL) else {
      throw HermitOCIError.io(path: lockURL.path, reason: "cannot lock")
    }
    defer { lock.unlock() }
    return try body()
  }

  /// The path of a blob (whether or not it exists).
  public func blobURL(_ digest: Digest) -> URL { blobsURL.appendingPathComponent(digest.hex) }

  /// The reference index as it is now.
  public func readIndex() throws -> Index {
    let data: Data
    do { data = try Data(contentsOf: indexURL) } catch {
      throw HermitOCIError.io(path: indexURL.path, reason: "cannot read the store index")
    }
    return try CanonicalJSON.decode(Index.self, from: data, what: indexURL.path)
  }

  /// Replaces the index; call only under `withLock`.
  func writeIndex(_ index: Index) throws {
    var sorted = index
    sorted.manifests.sort {
      ($0.annotations?[AnnotationKey.refName] ?? "")
        < ($1.annotations?[AnnotationKey.refName] ?? "")
    }
    try AtomicFile.write(try CanonicalJSON.encode(sorted), to: indexURL)
  }

  /// Name → manifest descriptor, for every tagged image.
  public func references() throws -> [(reference: String, manifest: Descriptor)] {
    try readIndex().manifests.compactMap { descriptor in
      descriptor.annotations?[AnnotationKey.refName].map { ($0, descriptor) }
    }
  }

  /// Reads the whole blob `descriptor` names, checking its size and digest. Only
  /// JSON documents are read this way: larger ones are refused unread.
  func readBlob(_ descriptor: Descriptor, what: String) throws -> Data {
    guard descriptor.size >= 0, descriptor.size <= Int64(CanonicalJSON.maxDocumentSize) else {
      throw HermitOCIError.invalidJSON(what: what, reason: "\(descriptor.size) bytes is too large")
    }
    let url = blobURL(descriptor.digest)
    guard let data = try? Data(contentsOf: url) else {
      throw HermitOCIError.missingBlob("\(what) \(descriptor.digest)")
    }
    guard data.count == descriptor.size else {
      throw HermitOCIError.sizeMismatch(
        what: what, expected: descriptor.size, actual: Int64(data.count))
    }
    let actual = Digest.sha256(data)
    guard actual == descriptor.digest else {
      throw HermitOCIError.digestMismatch(
        what: what, expected: descriptor.digest.description, actual: actual.description)
    }
    return data
  }

  /// The index descriptor to store for `reference`.
  static func indexEntry(_ manifest: Descriptor, reference: String) -> Descriptor {
    Descriptor(
      mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size,
      annotations: [AnnotationKey.refName: reference], platform: .hermit)
  }
}
