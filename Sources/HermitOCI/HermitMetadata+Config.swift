extension HermitMetadata {
  /// The metadata of an os-hermit image that has no `hermit/image.json`, such as one
  /// built by buildah or `podman build` from a `FROM scratch` Containerfile that
  /// copies the loader and the app in: the config's `org.hermit.*` labels, the app
  /// named by the Entrypoint (else the Cmd) when no label names it, defaults for
  /// the rest (`hermit/loader`, 1 CPU, 64 MiB).
  public init(config: ImageConfig) throws {
    try self.init(labels: config.labels)
    if config.labels[AnnotationKey.app] == nil,
      let first = config.entrypoint.first ?? config.cmd.first
    {
      app = first.hasPrefix("/") ? String(first.dropFirst()) : first
      try validate()
    }
  }
}
