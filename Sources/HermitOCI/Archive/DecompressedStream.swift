import CArchive
import FoundationEssentials

/// The decompressed bytes of a layer blob, read with libarchive's "raw" format so
/// the same code handles gzip and plain tar layers.
///
/// It hashes what it hands out: after `drain()`, `diffID` is the layer's
/// uncompressed digest (image-spec/config.md, `rootfs.diff_ids`), and it refuses to
/// expand beyond `limit` bytes (decompression bombs).
final class DecompressedStream {
  private let archive: OpaquePointer
  private var memory: UnsafeMutableRawBufferPointer?
  private let hasher = DigestHasher()
  private let limit: Int64
  private let name: String
  private var atEnd = false

  /// Opens `url` (or `data` when given) expecting gzip if `gzip`, else plain bytes.
  init(url: URL?, data: Data? = nil, name: String, gzip: Bool, limit: Int64) throws {
    self.limit = limit
    self.name = name
    guard let a = archive_read_new() else {
      throw HermitOCIError.archive("archive_read_new failed")
    }
    archive = a
    archive_read_support_filter_gzip(a)
    archive_read_support_filter_none(a)
    archive_read_support_format_raw(a)
    let status: Int32
    if let data {
      let copy = UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(data.count, 1), alignment: 16)
      data.copyBytes(to: copy)
      memory = copy
      status = archive_read_open_memory(a, copy.baseAddress, data.count)
    } else {
      status = archive_read_open_filename(a, url!.path, 1 << 16)
    }
    var entry: OpaquePointer?
    guard status == ARCHIVE_OK, archive_read_next_header(a, &entry) == ARCHIVE_OK else {
      let message = archive_error_string(a).map { String(cString: $0) } ?? "cannot open"
      throw HermitOCIError.unsafeArchive("\(name): \(message)")
    }
    let isGzip = archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP
    guard isGzip == gzip else {
      throw HermitOCIError.unsafeArchive(
        "\(name): content is \(isGzip ? "" : "not ")gzip-compressed, unlike its media type says")
    }
  }

  deinit {
    archive_read_free(archive)
    memory?.deallocate()
  }

  /// Reads decompressed bytes; 0 at the end.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    if atEnd { return 0 }
    let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
    guard n >= 0 else {
      let message = archive_error_string(archive).map { String(cString: $0) } ?? "corrupt data"
      throw HermitOCIError.unsafeArchive("\(name): \(message)")
    }
    if n == 0 { atEnd = true }
    hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    guard hasher.count <= limit else {
      throw HermitOCIError.unsafeArchive(
        "\(name): expands to more than \(limit) bytes (decompression bomb?)")
    }
    return n
  }

  /// Reads to the end and returns the digest of everything decompressed.
  func drain() throws -> Digest {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { buffer.deallocate() }
    while try read(into: buffer) > 0 {}
    return hasher.finalize()
  }

  /// The digest of the uncompressed content of a layer held in memory.
  static func diffID(ofLayer data: Data, gzip: Bool) throws -> Digest {
    try DecompressedStream(url: nil, data: data, name: "layer", gzip: gzip, limit: .max).drain()
  }
}
