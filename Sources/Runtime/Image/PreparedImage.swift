import FoundationEssentials
import HermitOCI

/// An image ready to boot: an unpacked rootfs and what the config says to run.
struct PreparedImage: Codable, Sendable {
  /// The name the image was found under.
  var reference: String
  /// `sha256:...` of its manifest, when it came from a layout or the store.
  var manifestDigest: String?
  /// The unpacked rootfs (holds hermit/loader, hermit/app, hermit/image.json).
  var rootfs: String
  var entrypoint: [String]
  var cmd: [String]
  var env: [String]
  /// hermit/image.json as read when the image was unpacked (a warm start then does
  /// not read it again: `HermitMetadata.load` looks up file owners, ~1 ms).
  var cachedMetadata: HermitMetadata? = nil

  /// Decodes a sample entry, so that the first real one (on a warm `run`'s
  /// critical path) finds JSONDecoder's generic machinery for these types
  /// instantiated: that first use costs some 0.25 ms, the next ones little.
  /// `RunPrefetch` calls it on its own thread while `run` parses its flags.
  static func warmDecoder() {
    _ = try? JSONDecoder().decode(PreparedImage.self, from: warmUpSample)
  }

  /// An entry with every field, the metadata's too (LaunchPlanTests decodes it).
  static let warmUpSample = Data(
    #"{"reference":"r","manifestDigest":"d","rootfs":"/","entrypoint":["a"],"cmd":["b"],"env":["c=d"],"cachedMetadata":{"loader":"l","app":"a","cpus":1,"memoryMiB":64,"exposedPorts":[80]}}"#
      .utf8)

  /// The image's hermit metadata; when the rootfs has none, from `config` (an
  /// image built by another tool: labels and Entrypoint), else defaults (a bare
  /// directory with hermit/loader and hermit/app).
  func metadata(config: ImageConfig? = nil) throws -> HermitMetadata {
    if let cachedMetadata { return cachedMetadata }
    let url = URL(fileURLWithPath: rootfs)
    if FileManager.default.fileExists(atPath: url.appendingPathComponent(HermitMetadata.path).path)
    {
      return try HermitMetadata.load(fromRootfs: url)
    }
    return try config.map { try HermitMetadata(config: $0) } ?? HermitMetadata()
  }
}
