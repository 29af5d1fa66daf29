import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Reads an OCI image layout tarball (image-spec/image-layout.md) defensively into a
/// staging area and verifies every image in it, before anything reaches a store.
///
/// Checked, each failure one line: the outer tar's safety (`SafeTarWalker`), the
/// presence of `oci-layout` and `index.json` (a docker-archive is named as such),
/// every blob's digest against its file name and its size against its descriptor,
/// known media types, bounded well-formed JSON, `os` `hermit`, every layer's tar
/// safety and diff_id, and `hermit/image.json` with the files it names.
struct LayoutLoader {
  /// One verified image.
  struct Image {
    var reference: Reference
    var manifestDescriptor: Descriptor
    var manifest: Manifest
    var config: ImageConfig
    var metadata: HermitMetadata
    /// Manifest, config and layer digests.
    var blobs: [Digest] {
      [manifestDescriptor.digest, manifest.config.digest] + manifest.layers.map(\.digest)
    }
  }

  let staging: StagingArea
  let name: String

  /// Reads `url` into `staging` and verifies it; returns its images.
  static func load(_ url: URL, into staging: StagingArea) throws -> [Image] {
    let loader = LayoutLoader(staging: staging, name: url.lastPathComponent)
    return try loader.run(url)
  }

  private func run(_ given: URL) throws -> [Image] {
    // A symlink to a tarball is fine; what it points to must be a regular file,
    // or a layout directory (skopeo's `oci:DIR`).
    let url = given.resolvingSymlinksInPath()
    let status = FileStatus(url.path)
    if status?.isDirectory == true {
      let (small, sizes) = try readDirectory(url)
      return try verify(small: small, sizes: sizes)
    }
    guard let fileSize = status?.size, status?.isRegularFile == true else {
      throw HermitOCIError.io(path: url.path, reason: "not a readable regular file")
    }
    guard fileSize > 0 else { throw HermitOCIError.notAnOCILayout("\(name) is empty") }
    try Self.refuseDockerArchive(url, name: name)
    var walker = SafeTarWalker(
      reader: try TarReader(url: url), limits: .forArchive(compressedSize: fileSize))
    var small: [String: Data] = [:]
    var sizes: [Digest: Int64] = [:]
    try walker.walk { path, kind, size, _, read in
      guard kind == .file else { return }
      switch path {
      case "oci-layout", "index.json", "manifest.json", "repositories":
        guard size <= Int64(CanonicalJSON.maxDocumentSize) else {
          throw HermitOCIError.invalidJSON(what: path, reason: "\(size) bytes is too large")
        }
        small[path] = try Data(readingAll: read)
      case _ where path.hasPrefix("blobs/"):
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[1] == "sha256" else {
          throw HermitOCIError.unsafeArchive(
            "\(name): unexpected blob path \"\(path)\" (only blobs/sha256/<hex>)")
        }
        guard Digest.isHex64(String(parts[2])) else {
          throw HermitOCIError.unsafeArchive(
            "\(name): blob name \"\(parts[2])\" is not a sha256 hex digest")
        }
        let expected = Digest(validatedHex: String(parts[2]))
        let written = try staging.write(what: "blob \(path)", expected: expected, read: read)
        sizes[written.digest] = written.size
      default:
        break  // image-layout.md: other files are ignored.
      }
    }
    return try verify(small: small, sizes: sizes)
  }

  /// A layout directory: the same files as in a tarball, read without following
  /// links (a symlink or device in place of a blob is refused, not read).
  private func readDirectory(_ url: URL) throws -> ([String: Data], [Digest: Int64]) {
    func regularFile(_ path: String) throws -> Int32? {
      var info = stat()
      guard lstat(path, &info) == 0 else { return nil }
      guard info.st_mode & S_IFMT == S_IFREG else {
        throw HermitOCIError.unsafeArchive(
          "\(name): \(Sanitized.quoted(path)) is not a regular file")
      }
      let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
      guard fd >= 0 else { throw HermitOCIError.posix(path, "open", errno: errno) }
      return fd
    }
    func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws
      -> Int
    {
      while true {
        let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
        if n >= 0 { return n }
        if errno != EINTR { throw HermitOCIError.posix(path, "read", errno: errno) }
      }
    }
    var small: [String: Data] = [:]
    for file in ["oci-layout", "index.json"] {
      let path = url.appendingPathComponent(file).path
      guard let fd = try regularFile(path) else { continue }
      defer { close(fd) }
      var data = Data()
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
      defer { buffer.deallocate() }
      while true {
        let n = try readAll(fd, into: buffer, path: path)
        if n == 0 { break }
        data.append(contentsOf: buffer[0..<n])
        guard data.count <= CanonicalJSON.maxDocumentSize else {
          throw HermitOCIError.invalidJSON(what: file, reason: "too large")
        }
      }
      small[file] = data
    }
    var sizes: [Digest: Int64] = [:]
    let blobs = url.appendingPathComponent("blobs/sha256")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []
    for blobName in names.sorted() {
      guard Digest.isHex64(blobName) else {
        throw HermitOCIError.unsafeArchive(
          "\(name): blob name \(Sanitized.quoted(blobName)) is not a sha256 hex digest")
      }
      let path = blobs.appendingPathComponent(blobName).path
      guard let fd = try regularFile(path) else { continue }
      defer { close(fd) }
      let written = try staging.write(
        what: "blob blobs/sha256/\(blobName)", expected: Digest(validatedHex: blobName)
      ) { buffer in try readAll(fd, into: buffer, path: path) }
      sizes[written.digest] = written.size
    }
    return (small, sizes)
  }

  /// Checks the layout's documents and every image it lists.
  private func verify(small: [String: Data], sizes: [Digest: Int64]) throws -> [Image] {
    guard let layoutData = small["oci-layout"] else {
      if small["manifest.json"] != nil {
        throw HermitOCIError.notAnOCILayout(
          "\(name) is a docker-archive (manifest.json, no oci-layout); convert it with "
            + "`skopeo copy docker-archive:\(name) oci-archive:OUT.tar`")
      }
      throw HermitOCIError.notAnOCILayout("\(name) has no oci-layout file")
    }
    let layout = try CanonicalJSON.decode(ImageLayout.self, from: layoutData, what: "oci-layout")
    guard layout.imageLayoutVersion.hasPrefix("1.") else {
      throw HermitOCIError.notAnOCILayout(
        "unsupported imageLayoutVersion \"\(layout.imageLayoutVersion)\"")
    }
    guard let indexData = small["index.json"] else {
      throw HermitOCIError.notAnOCILayout("\(name) has no index.json")
    }
    let index = try CanonicalJSON.decode(Index.self, from: indexData, what: "index.json")
    guard index.schemaVersion == 2 else {
      throw HermitOCIError.invalidJSON(
        what: "index.json", reason: "schemaVersion \(index.schemaVersion) is not 2")
    }
    if let mediaType = index.mediaType, mediaType != MediaType.imageIndex {
      throw HermitOCIError.unsupportedMediaType(what: "index.json", mediaType: mediaType)
    }
    guard !index.manifests.isEmpty else {
      throw HermitOCIError.notAnOCILayout("index.json lists no images")
    }
    var images: [Image] = []
    var verifiedLayers: [Digest: Digest] = [:]  // layer digest → diff_id
    for (position, descriptor) in index.manifests.enumerated() {
      images.append(
        try verifyImage(
          descriptor, position: position, count: index.manifests.count, sizes: sizes,
          layers: &verifiedLayers))
    }
    return images
  }

  /// A docker-archive (`docker save`, `podman save --format docker-archive`) has
  /// `manifest.json` and no `oci-layout`, and often symlinked layers that the safe
  /// walk would name instead. A first pass over the headers only (libarchive skips
  /// the data) names it for what it is. Errors are left to the safe walk.
  private static func refuseDockerArchive(_ url: URL, name: String) throws {
    guard let reader = try? TarReader(url: url) else { return }
    var names = Set<String>()
    var count = 0
    while count < 4096, let entry = try? reader.next() {
      count += 1
      if let path = entry.path {
        names.insert(path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
      }
    }
    if names.contains("manifest.json") && !names.contains("oci-layout") {
      throw HermitOCIError.notAnOCILayout(
        "\(name) is a docker-archive (manifest.json, no oci-layout); convert it with "
          + "`skopeo copy docker-archive:\(name) oci-archive:OUT.tar`")
    }
  }

  private func verifyImage(
    _ descriptor: Descriptor, position: Int, count: Int, sizes: [Digest: Int64],
    layers: inout [Digest: Digest]
  ) throws -> Image {
    let reference = try Self.reference(
      of: descriptor, position: position, count: count, fileName: name)
    let label = reference.description
    switch descriptor.mediaType {
    case MediaType.imageManifest: break
    case MediaType.imageIndex, MediaType.dockerManifestList:
      throw HermitOCIError.unsupportedMediaType(
        what: "\(label) (nested index; hermit images are single-platform)",
        mediaType: descriptor.mediaType)
    case MediaType.dockerManifest:
      throw HermitOCIError.unsupportedMediaType(
        what: "\(label) (docker schema 2 manifest; hermit images are OCI)",
        mediaType: descriptor.mediaType)
    default:
      throw HermitOCIError.unsupportedMediaType(
        what: "manifest of \(label)", mediaType: descriptor.mediaType)
    }
    let manifestData = try blob(descriptor, what: "manifest of \(label)", sizes: sizes)
    let manifest = try CanonicalJSON.decode(
      Manifest.self, from: manifestData, what: "manifest of \(label)")
    guard manifest.schemaVersion == 2 else {
      throw HermitOCIError.invalidJSON(
        what: "manifest of \(label)", reason: "schemaVersion is not 2")
    }
    if let mediaType = manifest.mediaType, mediaType != MediaType.imageManifest {
      throw HermitOCIError.unsupportedMediaType(what: "manifest of \(label)", mediaType: mediaType)
    }
    guard manifest.config.mediaType == MediaType.imageConfig else {
      throw HermitOCIError.unsupportedMediaType(
        what: "config of \(label)", mediaType: manifest.config.mediaType)
    }
    let configData = try blob(manifest.config, what: "config of \(label)", sizes: sizes)
    let config = try CanonicalJSON.decode(
      ImageConfig.self, from: configData, what: "config of \(label)")
    guard config.os == Platform.hermit.os else {
      throw HermitOCIError.notAHermitImage(
        "\(label) is a \(config.os)/\(config.architecture) image; hermit images have os \"hermit\"")
    }
    guard config.architecture == Platform.hermit.architecture else {
      throw HermitOCIError.notAHermitImage(
        "\(label) has architecture \(config.architecture), not amd64")
    }
    guard config.rootfs.type == "layers", config.rootfs.diffIDs.count == manifest.layers.count
    else {
      throw HermitOCIError.invalidJSON(
        what: "config of \(label)",
        reason: "rootfs.diff_ids does not match the \(manifest.layers.count) layers")
    }
    var files = Set<String>()
    var metadataData: Data?
    for (layer, diffID) in zip(manifest.layers, config.rootfs.diffIDs) {
      guard MediaType.layerTypes.contains(layer.mediaType) else {
        throw HermitOCIError.unsupportedMediaType(
          what: "layer of \(label)", mediaType: layer.mediaType)
      }
      guard let url = staging.blobs[layer.digest] else {
        throw HermitOCIError.missingBlob("layer \(layer.digest) of \(label)")
      }
      try checkSize(layer, what: "layer \(layer.digest)", sizes: sizes)
      // Each layer is walked once even if several images share it, but every image
      // still gets its own list of files.
      let result = try LayerReader.read(
        url: url, descriptor: layer, name: "layer \(layer.digest.short)",
        captureFile: HermitMetadata.path)
      if let known = layers[layer.digest], known != result.diffID {
        throw HermitOCIError.digestMismatch(
          what: "diff_id", expected: known.description, actual: result.diffID.description)
      }
      layers[layer.digest] = result.diffID
      guard result.diffID == diffID else {
        throw HermitOCIError.digestMismatch(
          what: "uncompressed layer \(layer.digest.short) of \(label) (diff_id)",
          expected: diffID.description, actual: result.diffID.description)
      }
      files.formUnion(result.files)
      if let captured = result.captured { metadataData = captured }
    }
    // An image from another tool (buildah, `podman build` FROM scratch) has no
    // hermit/image.json: its config (labels, Entrypoint) says the rest.
    let metadata =
      try metadataData.map {
        try CanonicalJSON.decode(HermitMetadata.self, from: $0, what: HermitMetadata.path)
      } ?? HermitMetadata(config: config)
    try metadata.validate()
    for path in [metadata.loader, metadata.app] where !files.contains(path) {
      throw HermitOCIError.notAHermitImage(
        "\(label): \(path) named by \(HermitMetadata.path) is not in the layers")
    }
    return Image(
      reference: reference, manifestDescriptor: descriptor, manifest: manifest, config: config,
      metadata: metadata)
  }

  /// The name of an index entry: `io.containerd.image.name` when present (always a
  /// full reference, in its familiar form: `docker.io/library/hello:latest` is
  /// stored as `hello:latest`), else `org.opencontainers.image.ref.name` (a full
  /// reference, or a bare tag as skopeo writes it: `hello.tar` + `1` is `hello:1`).
  /// Unnamed (what `skopeo copy ... oci-archive:x.tar` writes): named after the
  /// file, `x:latest`, or `x:<position>` when the layout holds several images.
  static func reference(of descriptor: Descriptor, position: Int, count: Int, fileName: String)
    throws -> Reference
  {
    let annotations = descriptor.annotations ?? [:]
    if let text = annotations[AnnotationKey.containerdImageName]
      ?? annotations[AnnotationKey.refName]
    {
      // A bare word is a tag (skopeo's `oci:DIR:v2`); anything with `:` or `/` a name.
      let isTag = !text.contains(":") && !text.contains("/")
      if !isTag, let reference = try? Reference(parsing: text) {
        return reference.familiar.withDefaultTag
      }
      if isTag,
        let tagged = try? Reference(parsing: "\(repository(fromFileName: fileName)):\(text)")
      {
        return tagged
      }
      throw HermitOCIError.invalidReference(
        Sanitized.escaped(text),
        reason: "neither a reference nor a tag (index.json entry \(position))")
    }
    let tag = count == 1 ? "latest" : String(position)
    return try Reference(parsing: "\(repository(fromFileName: fileName)):\(tag)")
  }

  /// `Hello World.tar` → `hello-world`: a repository name made of a file's name.
  static func repository(fromFileName fileName: String) -> String {
    var base = fileName
    for suffix in [".tar.gz", ".tgz", ".tar", ".oci"] where base.lowercased().hasSuffix(suffix) {
      base = String(base.dropLast(suffix.count))
      break
    }
    let cleaned = String(
      base.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }
    ).split(separator: "-").joined(separator: "-")
    return cleaned.isEmpty ? "image" : String(cleaned.prefix(128))
  }

  private func checkSize(_ descriptor: Descriptor, what: String, sizes: [Digest: Int64]) throws {
    guard let actual = sizes[descriptor.digest] else {
      throw HermitOCIError.missingBlob("\(what) (\(descriptor.digest))")
    }
    guard actual == descriptor.size else {
      throw HermitOCIError.sizeMismatch(what: what, expected: descriptor.size, actual: actual)
    }
  }

  private func blob(_ descriptor: Descriptor, what: String, sizes: [Digest: Int64]) throws -> Data {
    try checkSize(descriptor, what: what, sizes: sizes)
    guard descriptor.size <= Int64(CanonicalJSON.maxDocumentSize) else {
      throw HermitOCIError.invalidJSON(what: what, reason: "\(descriptor.size) bytes is too large")
    }
    guard let url = staging.blobs[descriptor.digest], let data = try? Data(contentsOf: url) else {
      throw HermitOCIError.missingBlob("\(what) (\(descriptor.digest))")
    }
    return data
  }
}

extension Data {
  /// Everything `read` delivers until it returns 0 (a tar entry's contents).
  init(readingAll read: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
    self.init()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let n = try read(buffer)
      if n == 0 { break }
      append(contentsOf: buffer[0..<n])
    }
  }
}
