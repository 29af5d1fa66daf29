/// An image configuration: image-spec/config.md (schema/config-schema.json).
///
/// Field names are the spec's; unknown fields are ignored when decoding.
public struct ImageConfig: Codable, Equatable, Sendable {
  /// RFC 3339 creation time.
  public var created: String?
  public var author: String?
  /// `amd64` for hermit images.
  public var architecture: String
  /// `hermit` for hermit images (not a GOOS, but every tool here accepts it).
  public var os: String
  public var variant: String?
  /// The execution parameters.
  public var config: Config?
  /// The layers' uncompressed digests.
  public var rootfs: RootFS
  public var history: [History]?

  /// `config` of the configuration: what a runtime should run.
  public struct Config: Codable, Equatable, Sendable {
    public var user: String?
    public var exposedPorts: [String: EmptyObject]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
      case user = "User"
      case exposedPorts = "ExposedPorts"
      case env = "Env"
      case entrypoint = "Entrypoint"
      case cmd = "Cmd"
      case workingDir = "WorkingDir"
      case labels = "Labels"
      case stopSignal = "StopSignal"
    }
  }

  /// `rootfs`: `type` is always `layers`.
  public struct RootFS: Codable, Equatable, Sendable {
    public var type: String
    public var diffIDs: [Digest]
    public init(diffIDs: [Digest]) {
      self.type = "layers"
      self.diffIDs = diffIDs
    }
    enum CodingKeys: String, CodingKey {
      case type
      case diffIDs = "diff_ids"
    }
  }

  /// One `history` entry.
  public struct History: Codable, Equatable, Sendable {
    public var created: String?
    public var createdBy: String?
    public var comment: String?
    public var emptyLayer: Bool?
    public init(created: String?, createdBy: String?, comment: String? = nil) {
      self.created = created
      self.createdBy = createdBy
      self.comment = comment
    }
    enum CodingKeys: String, CodingKey {
      case created, comment
      case createdBy = "created_by"
      case emptyLayer = "empty_layer"
    }
  }

  public init(
    created: String?, architecture: String, os: String, config: Config?, rootfs: RootFS,
    history: [History]? = nil
  ) {
    self.created = created
    self.architecture = architecture
    self.os = os
    self.config = config
    self.rootfs = rootfs
    self.history = history
  }

  /// The entrypoint, empty when unset.
  public var entrypoint: [String] { config?.entrypoint ?? [] }
  /// The default arguments, empty when unset.
  public var cmd: [String] { config?.cmd ?? [] }
  /// The environment as `KEY=VALUE` strings, empty when unset.
  public var env: [String] { config?.env ?? [] }
  /// The labels, empty when unset.
  public var labels: [String: String] { config?.labels ?? [:] }
}

/// The JSON `{}` used as a set member (`ExposedPorts`, `Volumes`).
public struct EmptyObject: Codable, Equatable, Hashable, Sendable {
  public init() {}
  public init(from decoder: Decoder) throws {
    _ = try decoder.container(keyedBy: NoKeys.self)
  }
  public func encode(to encoder: Encoder) throws {
    _ = encoder.container(keyedBy: NoKeys.self)
  }
  private enum NoKeys: CodingKey {}
}
