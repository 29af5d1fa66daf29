extension HermitMetadata {
  /// The metadata as config labels and manifest annotations (`org.hermit.*`), so
  /// registries, `inspect` and `podman image inspect` show it without unpacking.
  public var labels: [String: String] {
    [
      AnnotationKey.cpus: String(cpus),
      AnnotationKey.memory: "\(memoryMiB)M",
      AnnotationKey.ports: exposedPorts.map(String.init).joined(separator: ","),
      AnnotationKey.loader: loader,
      AnnotationKey.app: app,
    ]
  }
}

extension HermitMetadata {
  /// Reads the metadata back from config labels or manifest annotations (the
  /// inverse of `labels`); absent keys keep their defaults.
  public init(labels: [String: String]) throws {
    self.init()
    if let value = labels[AnnotationKey.cpus] {
      guard let cpus = Int(value) else {
        throw HermitOCIError.notAHermitImage(
          "label \(AnnotationKey.cpus)=\(Sanitized.quoted(value)) is not a number")
      }
      self.cpus = cpus
    }
    if let value = labels[AnnotationKey.memory] {
      memoryMiB = try MemorySize.parseMiB(value)
    }
    if let value = labels[AnnotationKey.ports], !value.isEmpty {
      exposedPorts = try value.split(separator: ",").map { part in
        guard let port = Int(part) else {
          throw HermitOCIError.notAHermitImage(
            "label \(AnnotationKey.ports)=\(Sanitized.quoted(value)) is not a port list")
        }
        return port
      }
    }
    if let value = labels[AnnotationKey.loader] { loader = value }
    if let value = labels[AnnotationKey.app] { app = value }
    try validate()
  }
}
