import FoundationEssentials
import HermitSystem

/// hermit-runtime's run cache: images unpacked for `run` (`rootfs/<manifest hex>/`
/// with `<manifest hex>.json` beside it) and the tarball identities that point to
/// them (`tarballs/`). It is a cache: anything in it can be rebuilt from the image.
/// `hermit-image prune` empties it, and `hermit-runtime run` keeps it under a size
/// limit by evicting the least recently used images.
public enum RunCache {
  /// The limit when `$HERMIT_RUN_CACHE_MAX` (bytes, or with K/M/G) does not say: 1 GiB.
  public static let defaultLimitBytes: Int64 = 1 << 30
  /// A rootfs this recent may belong to a container booting right now: kept.
  public static let minimumAge: TimeInterval = 60

  /// `$HERMIT_HOME/cache`, else `$XDG_CACHE_HOME/hermit`, else `~/.cache/hermit`.
  public static func defaultRoot() -> URL { HermitDirectories.cache() }

  /// The size limit: `$HERMIT_RUN_CACHE_MAX` (`512M`, `2G`, a number of bytes), else 1 GiB.
  public static func limitBytes(
    environment variable: (String) -> String? = HermitDirectories.processVariable
  ) -> Int64 {
    guard let text = variable("HERMIT_RUN_CACHE_MAX"), !text.isEmpty else {
      return defaultLimitBytes
    }
    if let bytes = Int64(text), bytes >= 0 { return bytes }
    if let mib = try? MemorySize.parseMiB(text) { return Int64(mib) << 20 }
    return defaultLimitBytes
  }

  /// One unpacked image: its digest hex, size, and last use (its .json's mtime).
  struct Entry {
    var hex: String
    var bytes: Int64
    var lastUsed: Date
  }

  static func entries(root: URL) -> [Entry] {
    let rootfs = root.appendingPathComponent("rootfs")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: rootfs.path)) ?? []
    return names.filter { Digest.isHex64($0) }.map { hex in
      let json = rootfs.appendingPathComponent(hex + ".json")
      let directory = rootfs.appendingPathComponent(hex)
      let date =
        (FileStatus(json.path) ?? FileStatus(directory.path)).map {
          Date(timeIntervalSince1970: $0.modificationTime)
        } ?? .distantPast
      return Entry(
        hex: hex, bytes: StagingArea.directorySize(directory) + 4096, lastUsed: date)
    }
  }

  static func remove(_ hex: String, root: URL) {
    let rootfs = root.appendingPathComponent("rootfs")
    // The .json first: a run that finds no .json unpacks afresh.
    try? FileManager.default.removeItem(at: rootfs.appendingPathComponent(hex + ".json"))
    try? FileManager.default.removeItem(at: rootfs.appendingPathComponent(hex))
  }

  /// Evicts least recently used images until the cache is within `limit`, never
  /// `keep` (the image about to boot) nor one used in the last `minimumAge`.
  /// - Returns: bytes freed.
  @discardableResult
  public static func trim(root: URL, limit: Int64, keep: String?, now: Date = Date()) -> Int64 {
    var all = entries(root: root)
    var total = all.reduce(0) { $0 + $1.bytes }
    guard total > limit else { return 0 }
    all.sort { $0.lastUsed < $1.lastUsed }
    var freed: Int64 = 0
    for entry in all where total > limit {
      guard entry.hex != keep, now.timeIntervalSince(entry.lastUsed) >= minimumAge else {
        continue
      }
      remove(entry.hex, root: root)
      total -= entry.bytes
      freed += entry.bytes
    }
    return freed
  }

  /// Empties the cache but for images used in the last `minimumAge` (they may be
  /// booting); tarball identities all go. Returns the images removed and bytes freed.
  public static func prune(root: URL, now: Date = Date()) -> (images: Int, bytes: Int64) {
    var images = 0
    var bytes: Int64 = 0
    for entry in entries(root: root) where now.timeIntervalSince(entry.lastUsed) >= minimumAge {
      remove(entry.hex, root: root)
      images += 1
      bytes += entry.bytes
    }
    try? FileManager.default.removeItem(at: root.appendingPathComponent("tarballs"))
    // What killed unpacks of tarballs left (`hermit-runtime run` stages there).
    bytes += StagingArea.removeStale(in: root.appendingPathComponent("staging"))
    return (images, bytes)
  }
}
