import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Reads an OCI image layout tarball (image-spec/image-layout.md) defensively into a
/// staging area and verifies every hermit image in it, before anything reaches a
/// store.
///
/// Checked, each failure one line: the outer tar's safety (`SafeTarWalker`), the
/// presence of `oci-layout` and `index.json` (a docker-archive is named as such),
/// every blob's digest against its file name and its size against its descriptor,
/// known media types, bounded well-formed JSON without duplicate keys, `os`
/// `hermit`, every layer's tar safety, compression and diff_id, and
/// `hermit/image.json` with the files it names.
///
/// Which images: each entry of index.json names one image, the hermit/amd64 one
/// (`LayoutLoader+Select.swift`). The work is linear in the layout: every manifest,
/// config, nested index and layer is read and verified once, however many
/// descriptors point at it.
final class LayoutLoader {
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

  /// What a manifest turned out to be, kept per digest.
  enum ManifestOutcome {
    /// A verified hermit/amd64 image.
    case hermit(manifest: Manifest, config: ImageConfig, metadata: HermitMetadata)
    /// Something else (`found` says what, for the error when nothing is left), and
    /// the error to report when a descriptor claims it is a hermit/amd64 image.
    case other(found: String, error: HermitOCIError)
  }

  /// More layers than this in one manifest are refused (docker's limit is 127).
  static let maxLayers = 256

  let staging: StagingArea
  let name: String
  /// Sizes of the staged blobs.
  var sizes: [Digest: Int64] = [:]
  /// Work done once per digest.
  var manifests: [Digest: ManifestOutcome] = [:]
  var configs: [Digest: ImageConfig] = [:]
  var layers: [Digest: LayerReader.Result] = [:]
  var metadataByLayer: [Digest: HermitMetadata] = [:]
  var indexes: [Digest: Choice] = [:]
  /// Documents parsed and layers read, for tests of the linear bound.
  private(set) var documentsDecoded = 0
  private(set) var layersRead = 0

  init(staging: StagingArea, name: String) {
    self.staging = staging
    self.name = name
  }

  /// Reads `url` into `staging` and verifies it; returns its images.
  static func load(_ url: URL, into staging: StagingArea) throws -> [Image] {
    try LayoutLoader(staging: staging, name: url.lastPathComponent).run(url)
  }

  func run(_ given: URL) throws -> [Image] {
    // A symlink to a tarball is fine; what it points to must be a regular file,
    // or a layout directory (skopeo's `oci:DIR`).
    let url = given.resolvingSymlinksInPath()
    let status = FileStatus(url.path)
    if status?.isDirectory == true {
      let (small, sizes) = try readDirectory(url)
      self.sizes = sizes
      return try verify(small: small)
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
    let staging = self.staging
    let name = self.name
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
            "\(name): unexpected blob path \(Sanitized.quoted(path)) (only blobs/sha256/<hex>)")
        }
        guard Digest.isHex64(String(parts[2])) else {
          throw HermitOCIError.unsafeArchive(
            "\(name): blob name \(Sanitized.quoted(parts[2])) is not a sha256 hex digest")
        }
        let expected = Digest(validatedHex: String(parts[2]))
        let written = try staging.write(what: "blob \(path)", expected: expected, read: read)
        sizes[written.digest] = written.size
      default:
        break  // image-layout.md: other files are ignored.
      }
    }
    self.sizes = sizes
    return try verify(small: small)
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
  private func verify(small: [String: Data]) throws -> [Image] {
    guard let layoutData = small["oci-layout"] else {
      if small["manifest.json"] != nil {
        throw HermitOCIError.notAnOCILayout(
          "\(name) is a docker-archive (manifest.json, no oci-layout); convert it with "
            + "`skopeo copy docker-archive:\(name) oci-archive:OUT.tar`")
      }
      throw HermitOCIError.notAnOCILayout("\(name) has no oci-layout file")
    }
    let layout = try decode(ImageLayout.self, from: layoutData, what: "oci-layout")
    guard layout.imageLayoutVersion.hasPrefix("1.") else {
      throw HermitOCIError.notAnOCILayout(
        "unsupported imageLayoutVersion \(Sanitized.quoted(layout.imageLayoutVersion))")
    }
    guard let indexData = small["index.json"] else {
      throw HermitOCIError.notAnOCILayout("\(name) has no index.json")
    }
    let index = try decode(Index.self, from: indexData, what: "index.json")
    try Self.check(index, what: "index.json")
    guard !index.manifests.isEmpty else {
      throw HermitOCIError.notAnOCILayout("index.json lists no images")
    }
    var selected: [(entry: Descriptor, image: Selection)] = []
    var found: [String] = []
    for (position, entry) in index.manifests.enumerated() {
      switch try select(entry, label: label(of: entry, position: position), depth: 0) {
      case .hermit(let image): selected.append((entry, image))
      case .other(let what): found.append(what)
      }
    }
    guard !selected.isEmpty else {
      throw HermitOCIError.notAHermitImage(
        "\(name) holds no hermit/amd64 image (found \(Self.summary(found)))")
    }
    return try selected.enumerated().map { position, selection in
      let reference = try Self.reference(
        of: selection.entry, position: position, count: selected.count, fileName: name)
      return Image(
        reference: reference, manifestDescriptor: selection.image.descriptor,
        manifest: selection.image.manifest, config: selection.image.config,
        metadata: selection.image.metadata)
    }
  }

  /// `linux/amd64, linux/arm64, an attestation`: the first five distinct things a
  /// layout held instead of hermit images, then `...`.
  static func summary(_ found: [String]) -> String {
    var distinct: [String] = []
    for item in found where !distinct.contains(item) {
      distinct.append(item)
      if distinct.count > 5 { break }
    }
    if distinct.count > 5 { return distinct.prefix(5).joined(separator: ", ") + ", ..." }
    return distinct.joined(separator: ", ")
  }

  /// Decodes a document, counting it.
  func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
    documentsDecoded += 1
    return try CanonicalJSON.decode(type, from: data, what: what)
  }

  /// Schema version and media type of an index (index.json or a nested one).
  static func check(_ index: Index, what: String) throws {
    guard index.schemaVersion == 2 else {
      throw HermitOCIError.invalidJSON(
        what: what, reason: "schemaVersion \(index.schemaVersion) is not 2")
    }
    if let mediaType = index.mediaType, mediaType != MediaType.imageIndex,
      mediaType != MediaType.dockerManifestList
    {
      throw HermitOCIError.unsupportedMediaType(what: what, mediaType: mediaType)
    }
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

  /// Verifies the manifest `descriptor` names (once per digest): a hermit/amd64
  /// image is checked completely, down to its layers; anything else is only
  /// recognised as such.
  func verifyManifest(_ descriptor: Descriptor, label: String) throws -> ManifestOutcome {
    if let known = manifests[descriptor.digest] { return known }
    let what = "manifest of \(label)"
    let manifestData = try blob(descriptor, what: what)
    let manifest = try decode(Manifest.self, from: manifestData, what: what)
    guard manifest.schemaVersion == 2 else {
      throw HermitOCIError.invalidJSON(what: what, reason: "schemaVersion is not 2")
    }
    if let mediaType = manifest.mediaType, mediaType != MediaType.imageManifest {
      throw HermitOCIError.unsupportedMediaType(what: what, mediaType: mediaType)
    }
    let outcome: ManifestOutcome
    if let artifactType = manifest.artifactType {
      outcome = .other(
        found: "artifact \(Sanitized.quoted(artifactType))",
        error: .unsupportedMediaType(what: "\(what) (an artifact)", mediaType: artifactType))
    } else if manifest.config.mediaType != MediaType.imageConfig {
      outcome = .other(
        found: "artifact \(Sanitized.quoted(manifest.config.mediaType))",
        error: .unsupportedMediaType(
          what: "config of \(label)", mediaType: manifest.config.mediaType))
    } else {
      let config = try config(manifest.config, label: label)
      if config.os != Platform.hermit.os || config.architecture != Platform.hermit.architecture {
        let platform = Sanitized.escaped("\(config.os)/\(config.architecture)")
        outcome = .other(
          found: platform,
          error: .notAHermitImage(
            "\(label) is a \(platform) image; hermit images are hermit/amd64"))
      } else {
        outcome = .hermit(
          manifest: manifest, config: config,
          metadata: try verifyLayers(of: manifest, config: config, label: label))
      }
    }
    manifests[descriptor.digest] = outcome
    return outcome
  }

  /// The config `descriptor` names, decoded once per digest.
  private func config(_ descriptor: Descriptor, label: String) throws -> ImageConfig {
    let what = "config of \(label)"
    try checkSize(descriptor, what: what)
    if let known = configs[descriptor.digest] { return known }
    let data = try blob(descriptor, what: what)
    let config = try decode(ImageConfig.self, from: data, what: what)
    configs[descriptor.digest] = config
    return config
  }

  /// Checks every layer of a hermit image (each blob read once, however many images
  /// share it) and returns the image's metadata.
  private func verifyLayers(of manifest: Manifest, config: ImageConfig, label: String) throws
    -> HermitMetadata
  {
    guard manifest.layers.count <= Self.maxLayers else {
      throw HermitOCIError.notAHermitImage(
        "\(label) has \(manifest.layers.count) layers, more than \(Self.maxLayers)")
    }
    guard config.rootfs.type == "layers", config.rootfs.diffIDs.count == manifest.layers.count
    else {
      throw HermitOCIError.invalidJSON(
        what: "config of \(label)",
        reason: "rootfs.diff_ids does not match the \(manifest.layers.count) layers")
    }
    var results: [LayerReader.Result] = []
    for (layer, diffID) in zip(manifest.layers, config.rootfs.diffIDs) {
      guard MediaType.layerTypes.contains(layer.mediaType) else {
        throw HermitOCIError.unsupportedMediaType(
          what: "layer of \(label)", mediaType: layer.mediaType)
      }
      try checkSize(layer, what: "layer \(layer.digest)")
      let result: LayerReader.Result
      if let known = layers[layer.digest] {
        result = known
      } else {
        guard let url = staging.blobs[layer.digest] else {
          throw HermitOCIError.missingBlob("layer \(layer.digest) of \(label)")
        }
        layersRead += 1
        result = try LayerReader.read(
          url: url, descriptor: layer, name: "layer \(layer.digest.short)",
          captureFile: HermitMetadata.path)
        layers[layer.digest] = result
      }
      guard result.diffID == diffID else {
        throw HermitOCIError.digestMismatch(
          what: "uncompressed layer \(layer.digest.short) of \(label) (diff_id)",
          expected: diffID.description, actual: result.diffID.description)
      }
      results.append(result)
    }
    // An image from another tool (buildah, `podman build` FROM scratch) has no
    // hermit/image.json: its config (labels, Entrypoint) says the rest.
    let metadata: HermitMetadata
    if let top = Self.topmost(HermitMetadata.path, in: results),
      let captured = results[top].captured
    {
      let digest = manifest.layers[top].digest
      if let known = metadataByLayer[digest] {
        metadata = known
      } else {
        metadata = try decode(HermitMetadata.self, from: captured, what: HermitMetadata.path)
        metadataByLayer[digest] = metadata
      }
    } else {
      metadata = try HermitMetadata(config: config)
    }
    try metadata.validate()
    for path in [metadata.loader, metadata.app] where Self.topmost(path, in: results) == nil {
      throw HermitOCIError.notAHermitImage(
        "\(label): \(path) named by \(HermitMetadata.path) is not in the layers")
    }
    return metadata
  }

  /// The index of the highest layer whose file `path` the image shows, nil when no
  /// layer has it or a whiteout above the last one that has it hides it.
  static func topmost(_ path: String, in layers: [LayerReader.Result]) -> Int? {
    for position in layers.indices.reversed() {
      if layers[position].files.contains(path) { return position }
      if layers[position].hides(path) { return nil }
    }
    return nil
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
        text,
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

  func checkSize(_ descriptor: Descriptor, what: String) throws {
    guard let actual = sizes[descriptor.digest] else {
      throw HermitOCIError.missingBlob("\(what) (\(descriptor.digest))")
    }
    guard actual == descriptor.size else {
      throw HermitOCIError.sizeMismatch(what: what, expected: descriptor.size, actual: actual)
    }
  }

  /// A staged JSON blob: its digest was checked when it was staged (the file name),
  /// its size is checked against `descriptor` here.
  func blob(_ descriptor: Descriptor, what: String) throws -> Data {
    try checkSize(descriptor, what: what)
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
