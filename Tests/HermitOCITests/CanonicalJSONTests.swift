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

  /// RFC 8259 leaves duplicate names undefined and tools disagree (the first wins
  /// here, the last in Go and Python): every document with one is refused.
  @Test(arguments: [
    (#"{"os":"hermit","os":"linux"}"#, "os"),
    (#"{"a":{"b":1,"c":2,"b":3}}"#, "b"),
    (#"{"a":[{"k":1},{"k":2,"k":3}]}"#, "k"),
    (#"{"o\u0073":"hermit","os":"linux"}"#, "os"),
    (#"{"\ud83d\ude00":1,"😀":2}"#, "😀"),
    (#"{"é":1,"e\u0301":2}"#, "é"),
  ])
  func duplicateKeysAreRefused(json: String, key: String) {
    #expect(CanonicalJSON.duplicateKey(in: Data(json.utf8)) == key)
    #expect(throws: HermitOCIError.self) {
      try CanonicalJSON.decode([String: JSONAny].self, from: Data(json.utf8), what: "x")
    }
  }

  @Test(arguments: [
    #"{"a":{"k":1},"b":{"k":2},"k":[{"k":1},{"k":2}]}"#, #"["k","k",{"k":"k"}]"#,
    #"{"a\"b":1,"a\b":2,"s":"{\"x\":1,\"x\":2}"}"#,
  ])
  func theSameKeyInDifferentObjectsIsFine(json: String) {
    #expect(CanonicalJSON.duplicateKey(in: Data(json.utf8)) == nil)
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

/// Any JSON value, for decoding documents of any shape in tests.
struct JSONAny: Decodable {
  init(from decoder: Decoder) throws {
    if var array = try? decoder.unkeyedContainer() {
      while !array.isAtEnd { _ = try array.decode(JSONAny.self) }
    } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
      for key in object.allKeys { _ = try object.decode(JSONAny.self, forKey: key) }
    }
  }
  struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }
}
