import CArchive
import FoundationEssentials

/// Strict gzip (RFC 1952) decoding of a layer with zlib.
///
/// Every member's header (method 8, no reserved flag bits, header CRC when FHCRC
/// is set) and trailer (CRC-32 and ISIZE of the member's data) are checked by zlib.
/// Members may follow each other (§2.2, "a gzip file consists of a series of
/// members"), as Go's gzip reader allows; any other byte after the last member is
/// refused, as Go does (libarchive and Python ignore some of them).
final class GzipInflater {
  private let source: RawBlobReader
  private var stream = z_stream()
  private let input: UnsafeMutableRawBufferPointer
  private var sourceAtEnd = false
  private var memberOpen = true
  private var finished = false

  /// Starts decoding `source`; the first two bytes must be gzip's magic number.
  init(source: RawBlobReader) throws {
    self.source = source
    input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    guard hermit_inflate_init_gzip(&stream) == Z_OK else {
      input.deallocate()
      throw HermitOCIError.archive("\(source.name): zlib cannot start inflating")
    }
  }

  deinit {
    inflateEnd(&stream)
    input.deallocate()
  }

  /// Tops up the input when it is empty; false at the end of the blob.
  private func refill() throws -> Bool {
    if stream.avail_in > 0 { return true }
    if sourceAtEnd { return false }
    let n = try source.read(into: input)
    if n == 0 {
      sourceAtEnd = true
      return false
    }
    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.avail_in = uInt(n)
    return true
  }

  /// The first byte of unread input, reading more if needed; nil at the end.
  private func peek() throws -> UInt8? {
    guard try refill() else { return nil }
    return stream.next_in.pointee
  }

  /// Reads decompressed bytes; 0 at the end of the last member.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard !finished, buffer.count > 0 else { return 0 }
    let name = source.name
    if !memberOpen {
      // After a member: nothing more, or the start of the next member.
      guard let first = try peek() else {
        finished = true
        return 0
      }
      guard first == 0x1f else {
        throw HermitOCIError.unsafeArchive("\(name): trailing data after the gzip stream")
      }
      guard inflateReset(&stream) == Z_OK else {
        throw HermitOCIError.archive("\(name): zlib cannot restart inflating")
      }
      memberOpen = true
    } else if stream.total_in == 0, stream.avail_in == 0 {
      // The very start: name a layer that is not gzip at all as such.
      let first = try peek()
      let second = stream.avail_in >= 2 ? stream.next_in[1] : nil
      guard first == 0x1f, second == 0x8b else {
        throw HermitOCIError.unsafeArchive(
          "\(name): content is not gzip-compressed, unlike its media type says")
      }
    }
    stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.avail_out = uInt(buffer.count)
    while stream.avail_out == uInt(buffer.count) {
      let hasInput = try refill()
      let status = inflate(&stream, Z_NO_FLUSH)
      switch status {
      case Z_STREAM_END:
        memberOpen = false
        return buffer.count - Int(stream.avail_out)
      case Z_OK:
        continue
      case Z_BUF_ERROR where !hasInput:
        throw HermitOCIError.unsafeArchive("\(name): truncated gzip stream")
      case Z_BUF_ERROR:
        continue
      default:
        let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
        throw HermitOCIError.unsafeArchive("\(name): corrupt gzip data (\(reason))")
      }
    }
    return buffer.count - Int(stream.avail_out)
  }
}
