import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// The bytes of one blob as stored (compressed, for a layer), from a file or from
/// memory, hashed as they are read: after the last read, `digest` and `count` are
/// the blob's digest and size, checked against its descriptor by the reader.
final class RawBlobReader {
  private let fd: Int32
  private let data: Data?
  private var offset = 0
  private let hasher = DigestHasher()
  /// What the blob is called in errors.
  let name: String

  /// Opens the blob at `url`, never through a symbolic link.
  init(url: URL, name: String) throws {
    fd = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { throw HermitOCIError.posix(url.path, "open", errno: errno) }
    data = nil
    self.name = name
  }

  /// Reads a blob held in memory.
  init(data: Data, name: String) {
    fd = -1
    self.data = data
    self.name = name
  }

  deinit { if fd >= 0 { close(fd) } }

  /// Bytes read so far.
  var count: Int64 { hasher.count }

  /// The digest of everything read; call once, after `read` returned 0.
  func finalize() -> Digest { hasher.finalize() }

  /// Reads up to `buffer.count` bytes; 0 at the end.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let n: Int
    if let data {
      n = min(buffer.count, data.count - offset)
      data.copyBytes(to: buffer, from: offset..<(offset + n))
      offset += n
    } else {
      while true {
        let got = Glibc.read(fd, buffer.baseAddress, buffer.count)
        if got >= 0 {
          n = got
          break
        }
        if errno != EINTR { throw HermitOCIError.posix(name, "read", errno: errno) }
      }
    }
    hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    return n
  }
}
