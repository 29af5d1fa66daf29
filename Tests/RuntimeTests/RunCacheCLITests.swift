import Foundation
import Testing

/// `hermit-image prune` empties hermit-runtime's run cache (issue 10, item 12).
@Suite(.enabled(if: Harness.images != nil, "needs build/ guests (make) and hermit-image"))
struct RunCacheCLITests {
  @Test func pruneRemovesUnpackedImagesOfTheRunCache() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let image = Harness.images!.hello
    #expect(try scratch.runtime(["run", "--rm", "-q", image]).status == 0)
    let rootfs = scratch.url.appendingPathComponent("cache/rootfs")
    let cached = try FileManager.default.contentsOfDirectory(atPath: rootfs.path)
      .filter { $0.hasSuffix(".json") }
    #expect(cached.count == 1)
    // Used two minutes ago: no longer possibly booting.
    for name in cached {
      try FileManager.default.setAttributes(
        [.modificationDate: Date().addingTimeInterval(-120)],
        ofItemAtPath: rootfs.appendingPathComponent(name).path)
    }
    let prune = try Harness.run(Harness.imageTool, ["prune"], environment: scratch.environment)
    #expect(prune.status == 0, "\(prune.stderr)")
    #expect(
      prune.stdout.contains("Deleted 1 unpacked images from the run cache"), "\(prune.stdout)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: rootfs.path).isEmpty)
    // And the image still runs: the cache is rebuilt.
    #expect(try scratch.runtime(["run", "--rm", "-q", image]).status == 0)
  }
}
