import FoundationEssentials

/// The uncompressed bytes of a layer blob: plain tar, gzip (`GzipInflater`) or zstd
/// (`ZstdDecoder`), as its media type says, and nothing else.
///
/// It hashes both sides: after `drain()`, `diffID` is the digest of the uncompressed
/// content (image-spec/config.md, `rootfs.diff_ids`) and `blobDigest` / `blobSize`
/// those of the blob as stored, which the reader checks against its descriptor. It
/// refuses to expand beyond `limit` bytes (decompression bombs) and content that is
/// compressed again inside (a layer is one compressed tar, image-spec/layer.md).
final class DecompressedStream {
  /// How a layer's tar is compressed, from its media type (image-spec/media-types.md).
  enum Compression {
    case none, gzip, zstd

    init?(mediaType: String) {
      switch mediaType {
      case MediaType.layerTar: self = .none
      case MediaType.layerTarGzip: self = .gzip
      case MediaType.layerTarZstd: self = .zstd
      default: return nil
      }
    }
  }

  private let source: RawBlobReader
  private let decode: (UnsafeMutableRawBufferPointer) throws -> Int
  private let hasher = DigestHasher()
  private let limit: Int64
  private let name: String
  private let compression: Compression
  private var atEnd = false
  private var checkedStart = false
  /// Set by `drain()`.
  private(set) var diffID: Digest?
  private(set) var blobDigest: Digest?
  private(set) var blobSize: Int64 = 0

  /// Opens `url` (or `data` when given), compressed as `compression` says.
  init(url: URL?, data: Data? = nil, name: String, compression: Compression, limit: Int64)
    throws
  {
    self.limit = limit
    self.name = name
    self.compression = compression
    let source =
      if let data { RawBlobReader(data: data, name: name) } else {
        try RawBlobReader(url: url!, name: name)
      }
    self.source = source
    switch compression {
    case .none: decode = source.read(into:)
    case .gzip: decode = try GzipInflater(source: source).read(into:)
    case .zstd: decode = try ZstdDecoder(source: source).read(into:)
    }
  }

  /// Reads decompressed bytes; 0 at the end.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    if atEnd { return 0 }
    let n = try decode(buffer)
    if n == 0 { atEnd = true }
    if !checkedStart, n > 0 {
      checkedStart = true
      try checkStart(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    guard hasher.count <= limit else {
      throw HermitOCIError.unsafeArchive(
        "\(name): expands to more than \(limit) bytes (decompression bomb?)")
    }
    return n
  }

  /// A tar starts with a file name; gzip's or zstd's magic number there means the
  /// content is compressed (again), which its media type does not say.
  private func checkStart(_ bytes: UnsafeRawBufferPointer) throws {
    let isGzip = bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    let isZstd =
      bytes.count >= 4 && bytes[0] == 0x28 && bytes[1] == 0xb5 && bytes[2] == 0x2f
      && bytes[3] == 0xfd
    guard isGzip || isZstd else { return }
    let kind = isGzip ? "gzip" : "zstd"
    throw HermitOCIError.unsafeArchive(
      compression == .none
        ? "\(name): content is \(kind)-compressed, unlike its media type says"
        : "\(name): content is compressed twice (\(kind) inside), not a tar")
  }

  /// Reads to the end, including what follows the tar's end-of-archive blocks
  /// (part of the diff_id too), and the blob to its end; returns the diff_id.
  @discardableResult
  func drain() throws -> Digest {
    if let diffID { return diffID }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { buffer.deallocate() }
    while try read(into: buffer) > 0 {}
    // A decoder stops at its stream's end: anything after it is still blob content.
    while try source.read(into: buffer) > 0 {}
    let digest = hasher.finalize()
    diffID = digest
    blobDigest = source.finalize()
    blobSize = source.count
    return digest
  }

  /// Checks the blob read by `drain()` against `descriptor` (size and digest).
  func checkBlob(against descriptor: Descriptor, what: String) throws {
    try drain()
    guard blobSize == descriptor.size else {
      throw HermitOCIError.sizeMismatch(what: what, expected: descriptor.size, actual: blobSize)
    }
    guard blobDigest == descriptor.digest else {
      throw HermitOCIError.digestMismatch(
        what: what, expected: descriptor.digest.description,
        actual: blobDigest?.description ?? "")
    }
  }

  /// The digest of the uncompressed content of a layer held in memory.
  static func diffID(ofLayer data: Data, compression: Compression) throws -> Digest {
    try DecompressedStream(
      url: nil, data: data, name: "layer", compression: compression, limit: .max
    ).drain()
  }
}
