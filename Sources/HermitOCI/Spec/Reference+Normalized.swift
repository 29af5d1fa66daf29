/// The two spellings of a Docker Hub name (distribution/reference normalize.go):
/// `hello:latest` as people write it (familiar), and `docker.io/library/hello:latest`
/// as containerd's CRI looks it up (normalized). A pod finds an imported image only
/// by the normalized name (issue 12); our own store keeps the familiar one.
extension Reference {
  /// Docker Hub's registry, as containerd names it.
  public static let defaultDomain = "docker.io"
  /// The namespace of Docker Hub's official images.
  public static let officialNamespace = "library"

  /// `docker.io/library/NAME:TAG`: the domain and `library/` filled in, and tag
  /// `latest` when there is neither tag nor digest (`ParseNormalizedNamed` +
  /// `TagNameOnly`).
  public var normalized: Reference {
    var reference = withDefaultTag
    if reference.domain == nil {
      reference.domain = Self.defaultDomain
      if !reference.path.contains("/") {
        reference.path = Self.officialNamespace + "/" + reference.path
      }
    }
    return reference
  }

  /// The name without `docker.io/` and `library/` (`FamiliarName`): what docker
  /// shows and what our store keeps.
  public var familiar: Reference {
    guard domain == Self.defaultDomain else { return self }
    var reference = self
    reference.domain = nil
    let prefix = Self.officialNamespace + "/"
    if reference.path.hasPrefix(prefix), !reference.path.dropFirst(prefix.count).contains("/") {
      reference.path.removeFirst(prefix.count)
    }
    return reference
  }
}
