import Foundation
import TestSupport
import Testing

@testable import HermitOCI

@Suite struct LayoutFuzzTests {
  /// Flipped bytes and truncations of a valid layout tarball: each load either
  /// succeeds (the flip hit padding) or throws a one-line HermitOCIError, and a
  /// failed load leaves the store's index as it was.
  @Test func mutatedTarballsNeverCrashTheLoader() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try sampleImage()
    let valid = dir.appendingPathComponent("valid.tar")
    try LayoutArchive.write(
      to: valid, images: [(image.reference, image.manifestDescriptor)],
      blobs: image.blobs.mapValues { .data($0) })
    let original = try Data(contentsOf: valid)
    let store = try ImageStore(root: dir.appendingPathComponent("store"))
    let emptyIndex = try store.readIndex()
    var random = SplitMix64(state: 42)
    var rejected = 0
    for round in 0..<300 {
      var data = original
      if round % 10 == 9 {
        data = data.prefix(Int.random(in: 0..<data.count, using: &random))
      } else {
        for _ in 0..<Int.random(in: 1...4, using: &random) {
          let offset = Int.random(in: 0..<data.count, using: &random)
          data[offset] = UInt8.random(in: 0...255, using: &random)
        }
      }
      let mutated = dir.appendingPathComponent("m.tar")
      try data.write(to: mutated)
      do {
        _ = try store.load(layoutTarball: mutated)
        try store.remove(["hello:latest"])
      } catch let error as HermitOCIError {
        rejected += 1
        #expect(!error.description.contains("\n"))
        #expect(try store.readIndex() == emptyIndex)
      }
    }
    #expect(rejected > 100)
  }

  @Test func randomStringsNeverCrashReferenceParsing() {
    var random = SplitMix64(state: 7)
    let alphabet = Array("abcXYZ019._-/:@[]sha256 ")
    for _ in 0..<5000 {
      let length = Int.random(in: 0...40, using: &random)
      let text = String(
        (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
      if let reference = try? Reference(parsing: text) {
        // Whatever parses prints back to something that parses to the same value.
        #expect((try? Reference(parsing: reference.description)) == reference, "\(text)")
      }
    }
  }
}
