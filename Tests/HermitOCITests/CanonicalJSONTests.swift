import Foundation
import Testing

@testable import HermitOCI

@Suite struct CanonicalJSONTests {
  @Test func keysAreSortedAndSlashesAreNotEscaped() throws {
    let descriptor = Descriptor(
      mediaType: MediaType.imageConfig, digest: .sha256(Data()), size: 0,
      annotations: ["z": "1", "a": "b/c"])
    let text = String(decoding: try CanonicalJSON.encode(descriptor), as: UTF8.self)
    #expect(
      text
        == #"{"annotations":{"a":"b/c","z":"1"},"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","mediaType":"application/vnd.oci.image.config.v1+json","size":0}"#
    )
  }

  @Test func theSameImageBuiltTwiceHasTheSameDigests() throws {
    let a = try sampleImage()
    let b = try sampleImage()
    #expect(a.manifestDescriptor == b.manifestDescriptor)
    #expect(a.blobs == b.blobs)
    let c = try sampleImage(app: "other app")
    #expect(a.manifest.layers[0] == c.manifest.layers[0], "the loader layer is shared")
    #expect(a.manifest.layers[1] != c.manifest.layers[1])
  }

  @Test func configCarriesHermitPlatformAndExecutionParameters() throws {
    let image = try sampleImage(args: ["-v", "x"])
    #expect(image.config.os == "hermit")
    #expect(image.config.architecture == "amd64")
    #expect(image.config.entrypoint == ["/hermit/app"])
    #expect(image.config.cmd == ["-v", "x"])
    #expect(image.config.env == ["A=1"])
    #expect(image.config.labels["org.hermit.cpus"] == "2")
    #expect(image.config.labels["org.hermit.memory"] == "128M")
    #expect(image.manifest.annotations?["org.hermit.loader"] == "hermit/loader")
    let configJSON = String(decoding: image.blobs[image.manifest.config.digest]!, as: UTF8.self)
    #expect(configJSON.contains(#""diff_ids":["sha256:"#))
    #expect(configJSON.contains(#""Entrypoint":["/hermit/app"]"#))
  }

  @Test func oversizeDocumentsAreRefusedBeforeParsing() {
    let big = Data(repeating: 0x20, count: CanonicalJSON.maxDocumentSize + 1)
    #expect(throws: HermitOCIError.self) {
      try CanonicalJSON.decode(Index.self, from: big, what: "x")
    }
  }

  @Test(arguments: [
    "sha256:abc", "sha512:" + String(repeating: "a", count: 128),
    "sha256:" + String(repeating: "A", count: 64),
  ])
  func malformedDigestsAreRejected(text: String) {
    #expect(throws: HermitOCIError.self) { try Digest(parsing: text) }
  }
}

@Suite struct HermitMetadataTests {
  @Test func labelsRoundTripToMetadata() throws {
    let metadata = HermitMetadata(cpus: 3, memoryMiB: 2048, exposedPorts: [80, 8080])
    #expect(try HermitMetadata(labels: metadata.labels) == metadata)
  }

  @Test(arguments: [
    ["org.hermit.cpus": "many"], ["org.hermit.ports": "80,x"], ["org.hermit.memory": "0"],
    ["org.hermit.app": "/abs/app"], ["org.hermit.loader": "../loader"],
  ])
  func badLabelsAreRejected(labels: [String: String]) {
    #expect(throws: HermitOCIError.self) { try HermitMetadata(labels: labels) }
  }
}
