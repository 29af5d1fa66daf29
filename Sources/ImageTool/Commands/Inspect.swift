import ArgumentParser
import Foundation
import HermitOCI

/// `hermit-image inspect REF...`: the images' manifest, config and metadata as JSON.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show images as JSON (manifest, config, hermit metadata).")

  @Argument(help: "Images to inspect.")
  var references: [String]

  /// What `inspect` prints for one image.
  struct Report: Encodable {
    var reference: String
    var id: String
    var digest: String
    var size: Int64
    var os: String
    var architecture: String
    var created: String?
    var entrypoint: [String]
    var cmd: [String]
    var env: [String]
    var labels: [String: String]
    /// The hermit metadata as the labels carry it (the same as hermit/image.json).
    var hermit: HermitMetadata?
    var manifest: Manifest
    var config: ImageConfig
  }

  func validate() throws {
    guard !references.isEmpty else { throw ValidationError("name at least one image") }
  }

  func run() throws {
    let store = try openStore()
    let reports = try references.map { text -> Report in
      let image = try store.resolve(text)
      return Report(
        reference: image.reference, id: image.imageID.description, digest: image.manifestDigest,
        size: image.size, os: image.config.os, architecture: image.config.architecture,
        created: image.config.created, entrypoint: image.config.entrypoint, cmd: image.config.cmd,
        env: image.config.env, labels: image.config.labels,
        hermit: try? HermitMetadata(labels: image.config.labels), manifest: image.manifest,
        config: image.config)
    }
    FileHandle.standardOutput.write(try CanonicalJSON.encodePretty(reports) + Data("\n".utf8))
  }
}
