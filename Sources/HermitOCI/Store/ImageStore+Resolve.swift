import FoundationEssentials

extension ImageStore {
  /// Finds an image by reference (`name[:tag]`, `name@sha256:...`), by image ID
  /// (the config digest, whole or a prefix of at least 4 hex digits, like docker) or
  /// by manifest digest. Reads and verifies its manifest and config.
  public func resolve(_ reference: String) throws -> ResolvedImage {
    let entries = try references()
    var match: (String, Descriptor)?
    if let parsed = try? Reference(parsing: reference).withDefaultTag {
      let key = parsed.description
      match = entries.first { $0.reference == key }
      if match == nil, let digest = parsed.digest {
        match = entries.first {
          $0.manifest.digest == digest && $0.reference.hasPrefix(parsed.name + ":")
        }
      }
    }
    if match == nil {
      let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
      if hex.count >= 4, hex.count <= 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
        // Keyed by the digest that matched: names of one image (or manifests of one
        // config, as after a recompressing copy) are one match, not an ambiguity.
        var found: [String: (String, Descriptor)] = [:]
        for entry in entries {
          if entry.manifest.digest.hex.hasPrefix(hex) {
            found["m" + entry.manifest.digest.hex] = found["m" + entry.manifest.digest.hex] ?? entry
          } else if let manifest = try? loadManifest(entry.manifest),
            manifest.config.digest.hex.hasPrefix(hex)
          {
            found["c" + manifest.config.digest.hex] =
              found["c" + manifest.config.digest.hex] ?? entry
          }
        }
        if found.count > 1 {
          throw HermitOCIError.invalidReference(reference, reason: "ambiguous image ID prefix")
        }
        match = found.values.first
      }
    }
    guard let (name, descriptor) = match else {
      // A malformed reference deserves the grammar's reason, not "no such image".
      if (try? Reference(parsing: reference)) == nil, !reference.allSatisfy(\.isHexDigit) {
        _ = try Reference(parsing: reference)
      }
      throw HermitOCIError.imageNotFound(reference)
    }
    return try resolve(name: name, manifest: descriptor)
  }

  /// The image named `name` in the index, whose manifest `descriptor` names:
  /// reads and verifies its manifest and config.
  func resolve(name: String, manifest descriptor: Descriptor) throws -> ResolvedImage {
    let manifest = try loadManifest(descriptor)
    let configData = try readBlob(manifest.config, what: "config of \(name)")
    let config = try CanonicalJSON.decode(
      ImageConfig.self, from: configData, what: "config of \(name)")
    return ResolvedImage(
      reference: name, manifestDigest: descriptor.digest.description, config: config,
      layers: manifest.layers, manifest: manifest, manifestDescriptor: descriptor)
  }

  func loadManifest(_ descriptor: Descriptor) throws -> Manifest {
    let data = try readBlob(descriptor, what: "manifest \(descriptor.digest)")
    return try CanonicalJSON.decode(
      Manifest.self, from: data, what: "manifest \(descriptor.digest)")
  }
}
