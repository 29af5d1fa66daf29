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

  /// Parses a memory size: a number of MiB, or a number with suffix K, M, G
  /// (optionally followed by `i`/`iB`/`B`, all binary). Returns MiB.
  public static func parseMemory(_ text: String) throws -> Int {
    let bad = HermitOCIError.invalidArgument(
      "invalid memory size \"\(text)\" (examples: 64, 64M, 1G, 512MiB)")
    var s = Substring(text.uppercased())
    for suffix in ["IB", "B", "I"] where s.hasSuffix(suffix) && s.count > suffix.count {
      s = s.dropLast(suffix.count)
      break
    }
    var multiplierKiB = 1024
    if let last = s.last, "KMG".contains(last) {
      multiplierKiB = last == "K" ? 1 : last == "M" ? 1024 : 1024 * 1024
      s = s.dropLast()
    }
    guard let value = Int(s), value > 0 else { throw bad }
    let (kib, overflow) = value.multipliedReportingOverflow(by: multiplierKiB)
    guard !overflow, kib % 1024 == 0, kib / 1024 <= (1 << 20) else { throw bad }
    return kib / 1024
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
          "label \(AnnotationKey.cpus)=\"\(value)\" is not a number")
      }
      self.cpus = cpus
    }
    if let value = labels[AnnotationKey.memory] {
      memoryMiB = try HermitMetadata.parseMemory(value)
    }
    if let value = labels[AnnotationKey.ports], !value.isEmpty {
      exposedPorts = try value.split(separator: ",").map { part in
        guard let port = Int(part) else {
          throw HermitOCIError.notAHermitImage(
            "label \(AnnotationKey.ports)=\"\(value)\" is not a port list")
        }
        return port
      }
    }
    if let value = labels[AnnotationKey.loader] { loader = value }
    if let value = labels[AnnotationKey.app] { app = value }
    try validate()
  }
}
