import CArchive
import FoundationEssentials

/// Reads a tar archive, plain or gzip-compressed, with libarchive.
///
/// Only tar formats (ustar, pax, gnu) are enabled: anything else is "not a tar
/// archive". The reader reports raw entries; `SafeTarWalker` decides what is allowed.
final class TarReader {
  /// One header as libarchive reports it.
  struct Entry {
    enum Kind: Equatable {
      case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket
      case unknown(UInt32)
    }
    /// The path as stored (not normalised); nil when it is not valid UTF-8.
    var path: String?
    var kind: Kind
    /// Size of the data; nil when the header sets none.
    var size: Int64?
    var mode: UInt32
    var linkTarget: String?
    /// GNU sparse entries expand on extraction; they are refused.
    var isSparse: Bool
  }

  private let archive: OpaquePointer
  private var memory: UnsafeMutableRawBufferPointer?
  /// The decompressed stream this reader pulls from, and its read buffer.
  private var source: DecompressedStream?
  private var sourceBuffer: UnsafeMutableRawBufferPointer?
  /// What the archive is called in errors.
  let name: String

  /// Opens `url` for reading.
  init(url: URL) throws {
    name = url.lastPathComponent
    archive = try TarReader.makeArchive()
    guard archive_read_open_filename(archive, url.path, 1 << 16) == ARCHIVE_OK else {
      // deinit frees the archive: self is fully initialised here.
      throw TarReader.openError(archive, name)
    }
  }

  /// Reads an archive held in memory.
  init(data: Data, name: String) throws {
    self.name = name
    archive = try TarReader.makeArchive()
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
    data.copyBytes(to: copy)
    memory = copy
    guard archive_read_open_memory(archive, copy.baseAddress, data.count) == ARCHIVE_OK else {
      throw TarReader.openError(archive, name)
    }
  }

  /// Reads the tar held in `stream` (already decompressed by it): one pass over a
  /// layer both hashes it (diff_id) and walks its entries.
  init(stream: DecompressedStream, name: String) throws {
    self.name = name
    guard let a = archive_read_new() else {
      throw HermitOCIError.archive("archive_read_new failed")
    }
    archive = a
    archive_read_support_filter_none(a)
    archive_read_support_format_tar(a)
    source = stream
    sourceBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    let context = Unmanaged.passUnretained(self).toOpaque()
    let status = archive_read_open(
      a, context, nil,
      { _, context, out in
        let reader = Unmanaged<TarReader>.fromOpaque(context!).takeUnretainedValue()
        do {
          let n = try reader.source!.read(into: reader.sourceBuffer!)
          out?.pointee = UnsafeRawPointer(reader.sourceBuffer!.baseAddress)
          return n
        } catch {
          // libarchive's archive_set_error is variadic (not callable from Swift):
          // keep the error to rethrow it from next()/read().
          reader.sourceError = error
          return -1
        }
      }, nil)
    guard status == ARCHIVE_OK else {
      if let error = sourceError { throw error }
      throw TarReader.openError(a, name)
    }
  }

  /// The error the decompressed stream threw, reported instead of libarchive's.
  private var sourceError: Error?

  deinit {
    archive_read_free(archive)
    memory?.deallocate()
    sourceBuffer?.deallocate()
  }

  private static func makeArchive() throws -> OpaquePointer {
    guard let a = archive_read_new() else {
      throw HermitOCIError.archive("archive_read_new failed")
    }
    archive_read_support_filter_gzip(a)
    archive_read_support_filter_none(a)
    archive_read_support_format_tar(a)
    return a
  }

  private static func openError(_ a: OpaquePointer, _ name: String) -> HermitOCIError {
    let message = archive_error_string(a).map { String(cString: $0) } ?? "cannot open"
    return .unsafeArchive("\(name): \(message)")
  }

  /// The next header, or nil at the end of the archive.
  func next() throws -> Entry? {
    var entry: OpaquePointer?
    let status = archive_read_next_header(archive, &entry)
    if status == ARCHIVE_EOF { return nil }
    guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
      if let sourceError { throw sourceError }
      throw HermitOCIError.unsafeArchive("\(name): \(errorMessage("unreadable tar header"))")
    }
    let kind: Entry.Kind
    let type = archive_entry_filetype(entry)
    if archive_entry_hardlink(entry) != nil {
      kind = .hardlink
    } else {
      switch UInt32(type) {
      case ArchiveFileType.regular: kind = .file
      case ArchiveFileType.directory: kind = .directory
      case ArchiveFileType.symlink: kind = .symlink
      case ArchiveFileType.characterDevice: kind = .characterDevice
      case ArchiveFileType.blockDevice: kind = .blockDevice
      case ArchiveFileType.fifo: kind = .fifo
      case ArchiveFileType.socket: kind = .socket
      default: kind = .unknown(UInt32(type))
      }
    }
    let path = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
    let target =
      (archive_entry_hardlink(entry) ?? archive_entry_symlink(entry)).map { String(cString: $0) }
    return Entry(
      path: path, kind: kind,
      size: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
      mode: UInt32(archive_entry_perm(entry)), linkTarget: target,
      isSparse: archive_entry_sparse_count(entry) > 0)
  }

  /// Reads up to `buffer.count` bytes of the current entry's data; 0 at its end.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
    guard n >= 0 else {
      if let sourceError { throw sourceError }
      throw HermitOCIError.unsafeArchive("\(name): \(errorMessage("unreadable data"))")
    }
    return n
  }

  private func errorMessage(_ fallback: String) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? fallback
  }
}
