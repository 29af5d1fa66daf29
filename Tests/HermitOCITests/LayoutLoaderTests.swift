import Foundation
import Testing

@testable import HermitOCI

@Suite struct LayoutLoaderTests {
  /// The fuzzed hang: 2,500 index entries naming one manifest whose config has
  /// 10,000 history entries. Each document is parsed and each layer read once, so
  /// the work is linear in the tarball, not in entries times config size.
  @Test func manyEntriesOfOneManifestVerifyItOnce() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try sampleImage(try sampleImage(), history: 10_000)
    let names = (0..<2500).map { "fan:\($0)" }
    let tarball = try writeLayout(image, names: names, in: dir)
    let staging = try StagingArea(
      parent: dir.appendingPathComponent("staging"), guardLock: nil, durability: .volatile)
    defer { staging.discard() }
    let loader = LayoutLoader(staging: staging, name: "fan.tar")
    let images = try loader.run(tarball)
    #expect(images.count == 2500)
    #expect(Set(images.map(\.reference.description)).count == 2500)
    // oci-layout, index.json, the manifest, the config and hermit/image.json.
    #expect(loader.documentsDecoded == 5)
    #expect(loader.layersRead == 2)
  }

  @Test func manyNamesEnterTheStoreInOneCommit() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ImageStore(root: dir.appendingPathComponent("store"))
    try store.add(try sampleImage(name: "fan:7", app: "older"))
    let names = (0..<1000).map { "fan:\($0)" }
    let loaded = try store.load(
      layoutTarball: try writeLayout(try sampleImage(), names: names, in: dir))
    #expect(loaded.count == 1000)
    let listed = try store.list()
    #expect(listed.count == 1000)
    #expect(Set(listed.map(\.digest)).count == 1, "fan:7 was replaced")
  }

  /// containerd's choice from an index: attestation manifests, other platforms and
  /// artifacts are skipped, nested indexes followed; nothing left is one clear error.
  @Test func theHermitManifestIsChosenFromANestedIndex() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try sampleImage()
    var blobs = image.blobs
    func put(_ value: some Encodable, _ mediaType: String) throws -> Descriptor {
      let data = try CanonicalJSON.encode(value)
      blobs[.sha256(data)] = data
      return Descriptor(mediaType: mediaType, digest: .sha256(data), size: Int64(data.count))
    }
    let elsewhere = Descriptor(
      mediaType: MediaType.imageManifest, digest: .sha256(Data("absent".utf8)), size: 6,
      platform: Platform(architecture: "arm64", os: "linux"))
    var attestation = image.manifestDescriptor
    attestation.annotations = ["vnd.docker.reference.type": "attestation-manifest"]
    attestation.platform = Platform(architecture: "unknown", os: "unknown")
    let artifact = Descriptor(
      mediaType: "application/vnd.example.artifact", digest: .sha256(Data()), size: 0)
    let inner = try put(
      Index(manifests: [elsewhere, attestation, artifact, image.manifestDescriptor]),
      MediaType.imageIndex)
    let outer = try put(Index(manifests: [inner]), MediaType.imageIndex)
    let store = try ImageStore(root: dir.appendingPathComponent("store"))
    let tarball = dir.appendingPathComponent("nested.tar")
    try LayoutArchive.write(
      to: tarball, images: [(try Reference(parsing: "nested:1"), outer)],
      blobs: blobs.mapValues { .data($0) })
    #expect(try store.load(layoutTarball: tarball) == ["nested:1"])
    #expect(
      try store.resolve("nested:1").manifestDigest == image.manifestDescriptor.digest.description)

    let others = try put(
      Index(manifests: [elsewhere, attestation, artifact]), MediaType.imageIndex)
    let refused = dir.appendingPathComponent("others.tar")
    try LayoutArchive.write(
      to: refused, images: [(try Reference(parsing: "others:1"), others)],
      blobs: blobs.mapValues { .data($0) })
    #expect(
      throws: HermitOCIError.notAHermitImage(
        "others.tar holds no hermit/amd64 image (found linux/arm64, an attestation, "
          + #"artifact "application/vnd.example.artifact")"#)
    ) { try store.load(layoutTarball: refused) }
  }
}
