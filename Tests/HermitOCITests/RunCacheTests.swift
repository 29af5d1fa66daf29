import Foundation
import Testing

@testable import HermitOCI

/// The run cache is size-limited and prunable (issue 10, item 12).
@Suite struct RunCacheTests {
  /// A cache with images of `sizes` bytes, last used `ages` seconds ago.
  func makeCache(_ images: [(size: Int, age: TimeInterval)]) throws -> (URL, [String]) {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "hermit-runcache-\(UUID().uuidString)")
    let rootfs = root.appendingPathComponent("rootfs")
    var hexes: [String] = []
    for (index, image) in images.enumerated() {
      let hex = Digest.sha256(Data("image \(index)".utf8)).hex
      let directory = rootfs.appendingPathComponent(hex + "/hermit")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try Data(count: image.size).write(to: directory.appendingPathComponent("app"))
      let json = rootfs.appendingPathComponent(hex + ".json")
      try Data("{}".utf8).write(to: json)
      try FileManager.default.setAttributes(
        [.modificationDate: Date().addingTimeInterval(-image.age)], ofItemAtPath: json.path)
      hexes.append(hex)
    }
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("tarballs"), withIntermediateDirectories: true)
    return (root, hexes)
  }

  func present(_ root: URL, _ hex: String) -> Bool {
    FileManager.default.fileExists(atPath: root.appendingPathComponent("rootfs/\(hex)").path)
  }

  @Test func trimEvictsTheLeastRecentlyUsedUntilWithinTheLimit() throws {
    let (root, hex) = try makeCache([
      (100_000, 3600), (100_000, 600), (100_000, 300), (100_000, 5), (100_000, 7200),
    ])
    defer { try? FileManager.default.removeItem(at: root) }
    let freed = RunCache.trim(root: root, limit: 350_000, keep: hex[4])
    #expect(freed > 0)
    #expect(!present(root, hex[0]) && !present(root, hex[1]), "the oldest go first")
    #expect(present(root, hex[4]), "the image about to boot stays")
    #expect(present(root, hex[3]), "an image used seconds ago may be booting")
    #expect(present(root, hex[2]))
  }

  @Test func withinTheLimitNothingIsEvicted() throws {
    let (root, hex) = try makeCache([(10_000, 3600), (10_000, 3600)])
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(RunCache.trim(root: root, limit: RunCache.defaultLimitBytes, keep: nil) == 0)
    #expect(hex.allSatisfy { present(root, $0) })
  }

  @Test func pruneEmptiesAllButImagesInUseNow() throws {
    let (root, hex) = try makeCache([(10_000, 3600), (10_000, 5)])
    defer { try? FileManager.default.removeItem(at: root) }
    let result = RunCache.prune(root: root)
    #expect(result.images == 1 && result.bytes >= 10_000)
    #expect(!present(root, hex[0]) && present(root, hex[1]))
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("tarballs").path))
  }

  @Test(
    arguments: [
      ([:], RunCache.defaultLimitBytes), (["HERMIT_RUN_CACHE_MAX": "512M"], 512 << 20),
      (["HERMIT_RUN_CACHE_MAX": "1000"], 1000),
      (["HERMIT_RUN_CACHE_MAX": "lots"], RunCache.defaultLimitBytes),
    ] as [([String: String], Int64)])
  func theLimitComesFromTheEnvironment(environment: [String: String], limit: Int64) {
    #expect(RunCache.limitBytes(environment: { environment[$0] }) == limit)
  }
}
