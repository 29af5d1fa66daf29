import Foundation
import Testing

@testable import HermitOCI

@Suite struct ImageStoreTests {
  @Test func addedImageResolvesByNameIDAndDigest() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir)
    let image = try sampleImage()
    try store.add(image)
    let resolved = try store.resolve("hello")
    #expect(resolved.reference == "hello:latest")
    #expect(resolved.manifestDigest == image.manifestDescriptor.digest.description)
    #expect(resolved.config.entrypoint == ["/hermit/app"])
    #expect(resolved.layers.count == 2)
    #expect(try store.resolve(image.manifest.config.digest.short).reference == "hello:latest")
    #expect(
      try store.resolve("hello@" + image.manifestDescriptor.digest.description).reference
        == "hello:latest")
    #expect(throws: HermitOCIError.imageNotFound("nope")) { try store.resolve("nope") }
    try store.tag("hello", "hello2:x")
    #expect(
      try store.resolve(image.manifest.config.digest.short).imageID == image.manifest.config.digest)
    #expect(throws: HermitOCIError.self) {
      try store.resolve("hell@" + image.manifestDescriptor.digest.description)
    }
  }

  @Test func tagReplacesExistingReference() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir)
    try store.add(try sampleImage(name: "a:1"))
    try store.add(try sampleImage(name: "b:1", app: "other"))
    try store.tag("a:1", "b:1")
    #expect(try store.resolve("b:1").manifestDigest == store.resolve("a:1").manifestDigest)
    #expect(try store.references().count == 2)
  }

  @Test func removeThenPruneFreesOnlyUnreferencedBlobs() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir)
    try store.add(try sampleImage(name: "a:1"))
    try store.add(try sampleImage(name: "b:1", app: "other"))
    #expect(try store.remove(["b:1"]) == ["b:1"])
    let result = try store.prune()
    // b's app layer, config and manifest go; the loader layer is shared with a.
    #expect(result.blobsRemoved == 3)
    #expect(result.bytesFreed > 0)
    let image = try store.resolve("a:1")
    let unpacked = dir.appendingPathComponent("rootfs")
    try ImageUnpacker.unpack(image, from: store, into: unpacked)
    #expect(
      try Data(contentsOf: unpacked.appendingPathComponent("hermit/app")) == Data("app bytes".utf8))
  }

  @Test func saveThenLoadIntoAnotherStoreThenSaveIsByteIdentical() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try ImageStore(root: dir.appendingPathComponent("s1"))
    let second = try ImageStore(root: dir.appendingPathComponent("s2"))
    try first.add(try sampleImage(name: "a:1"))
    try first.add(try sampleImage(name: "b:2", app: "other"))
    let tar1 = dir.appendingPathComponent("1.tar")
    let tar2 = dir.appendingPathComponent("2.tar")
    try first.save(["a:1", "b:2"], to: tar1)
    #expect(try second.load(layoutTarball: tar1) == ["a:1", "b:2"])
    try second.save(["b:2", "a:1"], to: tar2)
    #expect(try Data(contentsOf: tar1) == Data(contentsOf: tar2))
  }

  /// `save` checks every blob it copies by size and digest: a layer changed in
  /// the store (same size, one byte flipped) is refused and no tarball is left.
  @Test func saveRefusesABlobWhoseDigestChanged() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir.appendingPathComponent("store"))
    let image = try sampleImage()
    try store.add(image)
    let layer = store.blobURL(image.manifest.layers[1].digest)
    var bytes = try Data(contentsOf: layer)
    bytes[bytes.count / 2] ^= 0xff
    try bytes.write(to: layer)
    let tar = dir.appendingPathComponent("out.tar")
    #expect {
      try store.save(["hello"], to: tar)
    } throws: { error in
      guard case .digestMismatch = error as? HermitOCIError else { return false }
      return true
    }
    #expect(!FileManager.default.fileExists(atPath: tar.path))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["store"])
  }

  @Test func unpackingALayoutTarballGivesTheRootfsAndMetadata() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try sampleImage(args: ["x"])
    let tar = dir.appendingPathComponent("i.tar")
    try LayoutArchive.write(
      to: tar, images: [(image.reference, image.manifestDescriptor)],
      blobs: image.blobs.mapValues { .data($0) })
    let rootfs = dir.appendingPathComponent("rootfs")
    // Staged where no concurrent test stages (they share this process and its pid).
    let staging = dir.appendingPathComponent("staging")
    let resolved = try ImageUnpacker.unpack(
      layoutTarball: tar, reference: nil, into: rootfs, stagingIn: staging)
    #expect(resolved.config.cmd == ["x"])
    let metadata = try HermitMetadata.load(fromRootfs: rootfs)
    #expect(metadata == HermitMetadata(cpus: 2, memoryMiB: 128))
    let permissions = { (path: String) in
      try FileManager.default.attributesOfItem(atPath: rootfs.appendingPathComponent(path).path)[
        .posixPermissions] as? Int
    }
    #expect(try permissions("hermit/app") == 0o755)
    #expect(try permissions("hermit/image.json") == 0o644)
    #expect(
      try Data(contentsOf: rootfs.appendingPathComponent("hermit/loader"))
        == Data("loader bytes".utf8))
    // Nothing staged is left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: staging.path) == [])
  }

  @Test func missingMetadataIsANotAHermitImageError() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(throws: HermitOCIError.self) { try HermitMetadata.load(fromRootfs: dir) }
  }

  @Test func staleStagingOfAKilledCommandIsPruned() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir)
    let live = try StagingArea(parent: store.tmpURL, guardLock: store.lockURL)
    // A staging area whose lock is not held is what a killed command leaves.
    let stale = store.tmpURL.appendingPathComponent("ingest-1-1")
    try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
    try Data(count: 100).write(to: stale.appendingPathComponent("partial"))
    _ = FileManager.default.createFile(atPath: stale.path + ".lock", contents: nil)
    let result = try store.prune()
    #expect(result.bytesFreed == 100)
    #expect(!FileManager.default.fileExists(atPath: stale.path))
    #expect(
      FileManager.default.fileExists(atPath: live.directory.path), "a live staging area stays")
    live.discard()
  }
}

extension ImageStoreTests {
  @Test func unpackPicksTheNamedImageOfASeveralImageTarball() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir.appendingPathComponent("store"))
    try store.add(try sampleImage(name: "a:1", app: "app a"))
    try store.add(try sampleImage(name: "b:1", app: "app b"))
    let tar = dir.appendingPathComponent("both.tar")
    try store.save(["a:1", "b:1"], to: tar)
    let rootfs = dir.appendingPathComponent("rootfs")
    let image = try ImageUnpacker.unpack(layoutTarball: tar, reference: "b:1", into: rootfs)
    #expect(image.reference == "b:1")
    #expect(try Data(contentsOf: rootfs.appendingPathComponent("hermit/app")) == Data("app b".utf8))
    #expect(throws: HermitOCIError.self) {
      try ImageUnpacker.unpack(layoutTarball: tar, reference: "c", into: rootfs)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
