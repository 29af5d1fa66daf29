import Foundation
import Testing

@testable import HermitOCI

@Suite struct LayerReaderTests {
  /// image-spec/layer.md, "Whiteouts": `.wh.NAME` removes NAME of the layers below,
  /// `.wh..wh..opq` everything below in its directory but not what its own layer
  /// wrote (here before the marker), and no whiteout is left as a file.
  @Test func whiteoutsRemoveLowerFilesAndAreNotExtracted() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try sampleImage(
      try sampleImage(),
      extraLayers: [
        [
          ("etc/a", "a"), ("etc/b", "b"), ("etc/sub/c", "c"), ("data/x", "x"), ("data/y", "y"),
          ("top", "t"),
        ],
        [
          ("data/new", "new"), ("data/.wh..wh..opq", ""), ("etc/.wh.a", ""), ("etc/.wh.sub", ""),
          (".wh.top", ""), ("etc/.wh..wh.plnk", ""),
        ],
      ])
    let rootfs = dir.appendingPathComponent("rootfs")
    _ = try ImageUnpacker.unpack(layoutTarball: try writeLayout(image, in: dir), into: rootfs)
    let files = try FileManager.default.subpathsOfDirectory(atPath: rootfs.path).sorted()
    #expect(
      files == [
        "data", "data/new", "etc", "etc/b", "hermit", "hermit/app", "hermit/image.json",
        "hermit/loader",
      ])
    #expect(
      try String(contentsOf: rootfs.appendingPathComponent("data/new"), encoding: .utf8) == "new")
  }

  /// A whiteout above the layer with the app hides it: the image has no app.
  @Test func aWhiteoutOverTheAppMakesTheImageRefused() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try sampleImage(try sampleImage(), extraLayers: [[("hermit/.wh.app", "")]])
    let store = try ImageStore(root: dir.appendingPathComponent("store"))
    #expect(throws: HermitOCIError.self) {
      try store.load(layoutTarball: try writeLayout(image, in: dir))
    }
    let opaque = try sampleImage(try sampleImage(), extraLayers: [[("hermit/.wh..wh..opq", "")]])
    #expect(throws: HermitOCIError.self) {
      try store.load(layoutTarball: try writeLayout(opaque, in: dir))
    }
    #expect(try store.references().isEmpty)
  }

  @Test(arguments: ["hermit/.wh..", "hermit/.wh..."])
  func aWhiteoutOfDotOrDotDotIsRefused(path: String) throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try sampleImage(try sampleImage(), extraLayers: [[(path, "")]])
    #expect(throws: HermitOCIError.self) {
      try ImageUnpacker.unpack(
        layoutTarball: try writeLayout(image, in: dir), into: dir.appendingPathComponent("r"))
    }
  }

  /// The blob as stored is checked on every read, not only when it is loaded: a
  /// layer changed in the store after the load is refused by its digest.
  @Test func unpackingFromTheStoreChecksTheLayerDigest() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir.appendingPathComponent("store"))
    let built = try sampleImage()
    try store.add(built)
    let image = try store.resolve("hello")
    // Another gzip header mtime: the same tar (diff_id) in another blob (digest).
    let layer = built.manifest.layers[1]
    var bytes = try Data(contentsOf: store.blobURL(layer.digest))
    bytes[4] ^= 1
    try bytes.write(to: store.blobURL(layer.digest))
    #expect(throws: HermitOCIError.self) {
      try ImageUnpacker.unpack(image, from: store, into: dir.appendingPathComponent("rootfs"))
    }
  }
}
