/// The platform of a manifest in an index: image-spec/image-index.md (`platform`).
public struct Platform: Codable, Equatable, Hashable, Sendable {
  public var architecture: String
  public var os: String
  public var osVersion: String?
  public var osFeatures: [String]?
  public var variant: String?

  public init(architecture: String, os: String) {
    self.architecture = architecture
    self.os = os
  }

  enum CodingKeys: String, CodingKey {
    case architecture, os, variant
    case osVersion = "os.version"
    case osFeatures = "os.features"
  }

  /// Hermit images: amd64 guests of the hermit "OS".
  public static let hermit = Platform(architecture: "amd64", os: "hermit")
}
