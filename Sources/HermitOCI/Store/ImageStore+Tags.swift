import FoundationEssentials

extension ImageStore {
  /// Names the image `source` resolves to also `target` (replacing what `target`
  /// named before). Returns the full target name.
  @discardableResult
  public func tag(_ source: String, _ target: String) throws -> String {
    let targetReference = try Reference(parsing: target).withDefaultTag
    guard targetReference.digest == nil else {
      throw HermitOCIError.invalidReference(target, reason: "a tag target cannot carry a digest")
    }
    return try withLock {
      // Resolve under the lock so a concurrent rm cannot remove the source in between.
      let image = try resolve(source)
      var index = try readIndex()
      let name = targetReference.description
      index.manifests.removeAll { $0.annotations?[AnnotationKey.refName] == name }
      index.manifests.append(ImageStore.indexEntry(image.manifestDescriptor, reference: name))
      try writeIndex(index)
      return name
    }
  }

  /// Removes names (the blobs stay until `prune`). Throws for a name not in the store
  /// after removing the others.
  @discardableResult
  public func remove(_ references: [String]) throws -> [String] {
    let (removed, missing) = try untag(references)
    if !missing.isEmpty { throw HermitOCIError.imageNotFound(missing.joined(separator: ", ")) }
    return removed
  }

  /// Removes the names that are in the store; returns them, and those that are not.
  public func untag(_ references: [String]) throws -> (removed: [String], missing: [String]) {
    try withLock {
      var index = try readIndex()
      var removed: [String] = []
      var missing: [String] = []
      for text in references {
        let image = try? resolve(text)
        guard let name = image?.reference else {
          missing.append(text)
          continue
        }
        index.manifests.removeAll { $0.annotations?[AnnotationKey.refName] == name }
        removed.append(name)
      }
      try writeIndex(index)
      return (removed, missing)
    }
  }
}
