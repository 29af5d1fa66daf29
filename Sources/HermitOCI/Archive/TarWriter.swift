import CArchive
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a reproducible tar (optionally gzip-compressed) with libarchive.
///
/// Every entry gets the same mtime (from `SOURCE_DATE_EPOCH`, else 0), uid/gid 0, no
/// user or group names and a fixed mode; the gzip header carries no timestamp and no
/// file name (libarchive's `gzip:!timestamp`). So the same entries give the same bytes.
/// The ustar format is used: it has no atime/ctime fields that pax would add.
final class TarWriter {
  enum Compression { case none, gzip }

  private let archive: OpaquePointer
  private let sink: MemorySink?
  private let mtime: Int
  private var finished = false

  /// Where the bytes go when writing to memory; libarchive calls `write` below.
  final class MemorySink {
    var data = Data()
  }

  /// A writer that accumulates the archive in memory (layers).
  convenience init(compression: Compression, mtime: Int) throws {
    try self.init(compression: compression, mtime: mtime, fd: nil)
  }

  /// A writer that writes to the open file descriptor `fd` (layout tarballs).
  init(compression: Compression, mtime: Int, fd: Int32?) throws {
    guard let a = archive_write_new() else {
      throw HermitOCIError.archive("archive_write_new failed")
    }
    archive = a
    self.mtime = mtime
    sink = fd == nil ? MemorySink() : nil
    try check(archive_write_set_format_ustar(a), "set format")
    if compression == .gzip {
      try check(archive_write_add_filter_gzip(a), "add gzip filter")
      // No mtime in the gzip header; the name is only written when asked for.
      try check(archive_write_set_options(a, "gzip:!timestamp"), "gzip options")
    }
    // Pad only to the 512-byte record, not libarchive's default 10 KiB block.
    try check(archive_write_set_bytes_in_last_block(a, 1), "set last block")
    if let fd {
      try check(archive_write_open_fd(a, fd), "open")
    } else {
      let context = Unmanaged.passUnretained(sink!).toOpaque()
      try check(
        archive_write_open2(
          a, context, nil,
          { _, context, buffer, length in
            let sink = Unmanaged<TarWriter.MemorySink>.fromOpaque(context!).takeUnretainedValue()
            sink.data.append(buffer!.assumingMemoryBound(to: UInt8.self), count: length)
            return length
          }, nil, nil), "open")
    }
  }

  deinit {
    if !finished { archive_write_close(archive) }
    archive_write_free(archive)
  }

  /// Adds a directory entry (mode 0755).
  func addDirectory(_ path: String) throws {
    try writeHeader(
      path: path.hasSuffix("/") ? path : path + "/", type: ArchiveFileType.directory, mode: 0o755,
      size: 0)
  }

  /// Adds a regular file holding `data`.
  func addFile(_ path: String, data: Data, mode: Int32 = 0o644) throws {
    try writeHeader(path: path, type: ArchiveFileType.regular, mode: mode, size: Int64(data.count))
    try data.withUnsafeBytes { try writeData($0) }
  }

  /// Adds a regular file streamed from `url` (blobs too big to hold in memory). Its
  /// content must be `size` bytes and, when `digest` is given, hash to it: the
  /// archive's writer (`AtomicFile.fill`) then keeps nothing of a failed write.
  func addFile(
    _ path: String, contentsOf url: URL, size: Int64, digest: Digest? = nil, mode: Int32 = 0o644
  ) throws {
    let hasher = DigestHasher()
    let fd = open(url.path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw HermitOCIError.posix(url.path, "open", errno: errno) }
    defer { close(fd) }
    try writeHeader(path: path, type: ArchiveFileType.regular, mode: mode, size: size)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    var written: Int64 = 0
    while true {
      let n = read(fd, buffer.baseAddress, buffer.count)
      if n < 0 {
        if errno == EINTR { continue }
        throw HermitOCIError.posix(url.path, "read", errno: errno)
      }
      if n == 0 { break }
      written += Int64(n)
      guard written <= size else { break }
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
      hasher.update(chunk)
      try writeData(chunk)
    }
    guard written == size else {
      throw HermitOCIError.sizeMismatch(what: url.path, expected: size, actual: written)
    }
    if let digest {
      let actual = hasher.finalize()
      guard actual == digest else {
        throw HermitOCIError.digestMismatch(
          what: url.path, expected: digest.description, actual: actual.description)
      }
    }
  }

  /// Ends the archive; for memory writers returns the bytes.
  @discardableResult
  func finish() throws -> Data {
    finished = true
    try check(archive_write_close(archive), "close")
    return sink?.data ?? Data()
  }

  private func writeHeader(path: String, type: UInt32, mode: Int32, size: Int64) throws {
    guard let entry = archive_entry_new() else {
      throw HermitOCIError.archive("archive_entry_new failed")
    }
    defer { archive_entry_free(entry) }
    archive_entry_set_pathname(entry, path)
    archive_entry_set_filetype(entry, type)
    archive_entry_set_perm(entry, mode_t(mode))
    archive_entry_set_size(entry, size)
    archive_entry_set_mtime(entry, time_t(mtime), 0)
    archive_entry_set_uid(entry, 0)
    archive_entry_set_gid(entry, 0)
    try check(archive_write_header(archive, entry), "write header for \(path)")
  }

  private func writeData(_ buffer: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < buffer.count {
      let n = archive_write_data(archive, buffer.baseAddress! + offset, buffer.count - offset)
      guard n > 0 else { throw HermitOCIError.archive(errorString("write data")) }
      offset += n
    }
  }

  private func check(_ status: Int32, _ what: String) throws {
    // ARCHIVE_WARN is fine for option setting; anything worse is an error.
    guard status >= ARCHIVE_WARN else { throw HermitOCIError.archive(errorString(what)) }
  }

  private func errorString(_ what: String) -> String {
    let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
    return "\(what): \(message)"
  }
}

/// The fixed timestamp for reproducible output: `SOURCE_DATE_EPOCH` if set and valid
/// (reproducible-builds.org/specs/source-date-epoch), else 0.
public func reproducibleEpoch(environment: [String: String] = ProcessInfo.processInfo.environment)
  -> Int
{
  if let value = environment["SOURCE_DATE_EPOCH"], let seconds = Int(value), seconds >= 0 {
    return seconds
  }
  return 0
}
