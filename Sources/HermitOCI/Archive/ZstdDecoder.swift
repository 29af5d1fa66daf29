import CArchive
import FoundationEssentials

/// Zstandard (RFC 8878) decoding of a layer with libarchive's zstd filter and its
/// "raw" format. libzstd checks each frame's content checksum when the frame has
/// one and refuses bytes that are not a frame; nested compression (a zstd or gzip
/// stream inside) is refused here, where libarchive would strip it too.
final class ZstdDecoder {
  private let archive: OpaquePointer
  private let source: RawBlobReader
  private let input: UnsafeMutableRawBufferPointer
  /// The error the source threw, reported instead of libarchive's.
  private var sourceError: Error?

  /// Starts decoding `source`, which must be one zstd stream.
  init(source: RawBlobReader) throws {
    self.source = source
    input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    guard let a = archive_read_new() else {
      input.deallocate()
      throw HermitOCIError.archive("archive_read_new failed")
    }
    archive = a
    archive_read_support_filter_zstd(a)
    archive_read_support_filter_none(a)
    archive_read_support_format_raw(a)
    let context = Unmanaged.passUnretained(self).toOpaque()
    let status = archive_read_open(
      a, context, nil,
      { _, context, out in
        let decoder = Unmanaged<ZstdDecoder>.fromOpaque(context!).takeUnretainedValue()
        do {
          let n = try decoder.source.read(into: decoder.input)
          out?.pointee = UnsafeRawPointer(decoder.input.baseAddress)
          return n
        } catch {
          decoder.sourceError = error
          return -1
        }
      }, nil)
    var entry: OpaquePointer?
    guard status == ARCHIVE_OK, archive_read_next_header(a, &entry) == ARCHIVE_OK else {
      if let sourceError { throw sourceError }
      throw HermitOCIError.unsafeArchive("\(source.name): \(errorMessage("cannot open"))")
    }
    // Filters count from the one nearest the reader; the last is the file itself.
    guard archive_filter_count(a) == 2, archive_filter_code(a, 0) == ARCHIVE_FILTER_ZSTD else {
      throw HermitOCIError.unsafeArchive(
        "\(source.name): content is not zstd-compressed once, unlike its media type says")
    }
  }

  deinit {
    archive_read_free(archive)
    input.deallocate()
  }

  /// Reads decompressed bytes; 0 at the end.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
    guard n >= 0 else {
      if let sourceError { throw sourceError }
      throw HermitOCIError.unsafeArchive("\(source.name): \(errorMessage("corrupt zstd data"))")
    }
    return n
  }

  private func errorMessage(_ fallback: String) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? fallback
  }
}
