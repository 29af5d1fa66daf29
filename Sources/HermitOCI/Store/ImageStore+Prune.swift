import FoundationEssentials
import HermitSystem

extension ImageStore {
  /// What `prune` removed.
  public struct PruneResult: Sendable {
    public var blobsRemoved: Int
    public var bytesFreed: Int64
  }

  /// Removes blobs no name reaches, stale staging directories of killed commands and
  /// leftover temporary files, under the lock (so no load commits meanwhile).
  public func prune() throws -> PruneResult {
    try withLock {
      var reachable = Set<Digest>()
      for (_, descriptor) in try references() {
        reachable.insert(descriptor.digest)
        if let manifest = try? loadManifest(descriptor) {
          reachable.insert(manifest.config.digest)
          for layer in manifest.layers { reachable.insert(layer.digest) }
        }
      }
      var result = PruneResult(blobsRemoved: 0, bytesFreed: 0)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: blobsURL.path)) ?? []
      for name in names.sorted() {
        if Digest.isHex64(name), reachable.contains(Digest(validatedHex: name)) { continue }
        let url = blobsURL.appendingPathComponent(name)
        let size = FileStatus(url.path)?.size ?? 0
        if (try? FileManager.default.removeItem(at: url)) != nil {
          result.blobsRemoved += 1
          result.bytesFreed += size
        }
      }
      result.bytesFreed += StagingArea.removeStale(in: tmpURL)
      // Temporary index files of writers killed before their rename.
      for name in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
      where name.hasPrefix(".index.json.tmp-") {
        try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
      }
      return result
    }
  }
}
