import FoundationEssentials

/// Which image an index.json entry names, as containerd picks one for a platform:
/// an image index (OCI, or docker's manifest list) is followed, nested ones too, to
/// its first hermit/amd64 manifest; attestation manifests (buildx marks them with
/// `vnd.docker.reference.type: attestation-manifest` and the platform
/// `unknown/unknown`), manifests of other platforms and artifacts are skipped.
///
/// A descriptor whose platform says hermit/amd64 must be a valid hermit image (its
/// errors are reported); one without a platform (skopeo's index.json) is checked by
/// its config and skipped when it is something else.
extension LayoutLoader {
  /// A hermit image chosen from an index.
  struct Selection {
    /// The manifest's descriptor.
    var descriptor: Descriptor
    var manifest: Manifest
    var config: ImageConfig
    var metadata: HermitMetadata
  }

  /// What a descriptor leads to: a hermit image, or what it is instead.
  enum Choice {
    case hermit(Selection)
    case other(String)
  }

  /// Indexes nested deeper than this are refused (buildx writes two levels).
  static let maxIndexDepth = 4
  /// buildx's annotation on an attestation manifest in an index.
  static let referenceTypeKey = "vnd.docker.reference.type"
  static let attestationManifest = "attestation-manifest"

  /// How errors name an index.json entry: by its name when it has a valid one.
  func label(of entry: Descriptor, position: Int) -> String {
    guard
      entry.annotations?[AnnotationKey.containerdImageName] != nil
        || entry.annotations?[AnnotationKey.refName] != nil,
      let reference = try? Self.reference(of: entry, position: 0, count: 1, fileName: name)
    else { return "index.json entry \(position)" }
    return reference.description
  }

  /// The hermit image `descriptor` leads to, if any.
  func select(_ descriptor: Descriptor, label: String, depth: Int) throws -> Choice {
    switch descriptor.mediaType {
    case MediaType.imageIndex, MediaType.dockerManifestList:
      return try selectFromIndex(descriptor, label: label, depth: depth)
    case MediaType.imageManifest:
      if descriptor.annotations?[Self.referenceTypeKey] == Self.attestationManifest {
        return .other("an attestation")
      }
      if let platform = descriptor.platform, !platform.isHermit {
        return .other(platform.summary)
      }
      try checkSize(descriptor, what: "manifest of \(label)")
      switch try verifyManifest(descriptor, label: label) {
      case .hermit(let manifest, let config, let metadata):
        return .hermit(
          Selection(descriptor: descriptor, manifest: manifest, config: config, metadata: metadata))
      case .other(let found, let error):
        if descriptor.platform != nil { throw error }
        return .other(found)
      }
    case MediaType.dockerManifest:
      if let platform = descriptor.platform, !platform.isHermit {
        return .other(platform.summary)
      }
      throw HermitOCIError.unsupportedMediaType(
        what: "\(label) (docker schema 2 manifest; hermit images are OCI)",
        mediaType: descriptor.mediaType)
    default:
      return .other("artifact \(Sanitized.quoted(descriptor.mediaType))")
    }
  }

  /// The first hermit image of the index `descriptor` names (read once per digest).
  private func selectFromIndex(_ descriptor: Descriptor, label: String, depth: Int) throws
    -> Choice
  {
    if let known = indexes[descriptor.digest] { return known }
    let what = "nested index of \(label)"
    guard depth < Self.maxIndexDepth else {
      throw HermitOCIError.notAHermitImage(
        "\(label): indexes nested more than \(Self.maxIndexDepth) deep")
    }
    let index = try decode(Index.self, from: try blob(descriptor, what: what), what: what)
    try Self.check(index, what: what)
    var found: [String] = []
    var choice: Choice?
    for child in index.manifests {
      switch try select(child, label: label, depth: depth + 1) {
      case .hermit(let selection):
        choice = .hermit(selection)
      case .other(let other):
        found.append(other)
      }
      if choice != nil { break }
    }
    let result = choice ?? .other(found.isEmpty ? "an empty index" : Self.summary(found))
    indexes[descriptor.digest] = result
    return result
  }
}

extension Platform {
  /// Whether this is hermit/amd64 (a variant or OS version does not matter).
  var isHermit: Bool {
    os == Platform.hermit.os && architecture == Platform.hermit.architecture
  }

  /// `linux/arm64/v8`, escaped (it is image data).
  var summary: String {
    Sanitized.escaped([os, architecture, variant].compactMap { $0 }.joined(separator: "/"))
  }
}
