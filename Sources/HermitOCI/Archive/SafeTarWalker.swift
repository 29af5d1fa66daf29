import FoundationEssentials

/// Limits for reading untrusted tar archives.
public struct TarLimits: Sendable {
  /// Most entries one archive may have.
  public var maxEntries: Int
  /// Most bytes of entry data one archive may expand to (gzip bombs).
  public var maxTotalBytes: Int64

  public init(maxEntries: Int, maxTotalBytes: Int64) {
    self.maxEntries = maxEntries
    self.maxTotalBytes = maxTotalBytes
  }

  /// Limits for an archive whose compressed size is `compressedSize`: at most 4096
  /// entries, and at most 64 MiB or 200 times the compressed size, whichever is
  /// larger, capped at 16 GiB. Hermit layers hold two or three files; a legitimate
  /// ELF does not compress 200:1 beyond 64 MiB, a bomb does.
  public static func forArchive(compressedSize: Int64) -> TarLimits {
    let ratioBound = compressedSize.multipliedReportingOverflow(by: 200)
    let bound = ratioBound.overflow ? Int64.max : ratioBound.partialValue
    return TarLimits(maxEntries: 4096, maxTotalBytes: min(max(64 << 20, bound), 16 << 30))
  }
}

/// Walks an untrusted tar archive and hands out only safe entries.
///
/// Refused, each with a one-line reason: absolute paths, `..` components, paths that
/// are not UTF-8 or contain control characters, links (hard or symbolic), devices,
/// FIFOs, sockets, sparse files, entries without a size, the same path twice (a
/// second directory entry for a directory is fine), a file below a path that was a
/// file, more entries or more data than the limits. A truncated or corrupt archive
/// fails with libarchive's reason.
struct SafeTarWalker {
  enum Kind { case file, directory }

  private let reader: TarReader
  private let limits: TarLimits
  private var entries = 0
  private var totalBytes: Int64 = 0
  private var seen: [String: Kind] = [:]

  init(reader: TarReader, limits: TarLimits) {
    self.reader = reader
    self.limits = limits
  }

  /// Calls `body` for each entry with its normalised path and permission bits
  /// (setuid, setgid and sticky cleared); `body` reads file data through the `read`
  /// closure it is given (which enforces the size limit).
  mutating func walk(
    _ body: (
      _ path: String, _ kind: Kind, _ size: Int64, _ mode: UInt32,
      _ read: (UnsafeMutableRawBufferPointer) throws -> Int
    )
      throws -> Void
  ) throws {
    let name = reader.name
    let reader = self.reader
    while let entry = try reader.next() {
      entries += 1
      guard entries <= limits.maxEntries else {
        throw HermitOCIError.unsafeArchive("\(name): more than \(limits.maxEntries) entries")
      }
      guard let raw = entry.path else {
        throw HermitOCIError.unsafeArchive("\(name): entry path is not valid UTF-8")
      }
      let path = try SafeTarWalker.normalize(raw, archive: name)
      let kind: Kind
      switch entry.kind {
      case .file: kind = .file
      case .directory: kind = .directory
      case .symlink:
        throw HermitOCIError.unsafeArchive(
          "\(name): symbolic link \(Sanitized.quoted(raw)) is not allowed")
      case .hardlink:
        throw HermitOCIError.unsafeArchive(
          "\(name): hard link \(Sanitized.quoted(raw)) is not allowed")
      case .characterDevice, .blockDevice:
        throw HermitOCIError.unsafeArchive(
          "\(name): device node \(Sanitized.quoted(raw)) is not allowed")
      case .fifo, .socket:
        throw HermitOCIError.unsafeArchive(
          "\(name): special file \(Sanitized.quoted(raw)) is not allowed")
      case .unknown(let type):
        throw HermitOCIError.unsafeArchive(
          "\(name): entry \(Sanitized.quoted(raw)) has unknown type \(type)")
      }
      guard !entry.isSparse else {
        throw HermitOCIError.unsafeArchive(
          "\(name): sparse file \(Sanitized.quoted(raw)) is not allowed")
      }
      guard let size = entry.size, size >= 0 else {
        throw HermitOCIError.unsafeArchive("\(name): entry \(Sanitized.quoted(raw)) has no size")
      }
      if path.isEmpty {
        // "./" itself: the root directory, nothing to create.
        guard kind == .directory else {
          throw HermitOCIError.unsafeArchive("\(name): file entry with an empty path")
        }
        continue
      }
      if let previous = seen[path], !(previous == .directory && kind == .directory) {
        throw HermitOCIError.unsafeArchive("\(name): duplicate entry \(Sanitized.quoted(path))")
      }
      // A path below something that was a file conflicts with it.
      var prefix = Substring(path)
      while let slash = prefix.lastIndex(of: "/") {
        prefix = prefix[..<slash]
        if seen[String(prefix)] == .file {
          throw HermitOCIError.unsafeArchive(
            "\(name): \(Sanitized.quoted(path)) is below the file \(Sanitized.quoted(prefix))")
        }
      }
      seen[path] = kind
      // Parents exist implicitly as directories: a later file entry for one of them
      // conflicts (it could not be created over a directory).
      var parent = Substring(path)
      while let slash = parent.lastIndex(of: "/") {
        parent = parent[..<slash]
        if seen[String(parent)] != nil { break }
        seen[String(parent)] = .directory
      }
      guard size <= limits.maxTotalBytes - totalBytes else {
        throw HermitOCIError.unsafeArchive(
          "\(name): expands to more than \(limits.maxTotalBytes) bytes (decompression bomb?)")
      }
      var remaining = size
      let limitedRead: (UnsafeMutableRawBufferPointer) throws -> Int = { buffer in
        let n = try reader.read(into: buffer)
        remaining -= Int64(n)
        if remaining < 0 {
          throw HermitOCIError.unsafeArchive(
            "\(name): \(Sanitized.quoted(path)) holds more data than its size")
        }
        return n
      }
      totalBytes += size
      try body(path, kind, size, entry.mode & 0o777, limitedRead)
      // Drain what the body did not read, so sizes are always checked.
      if remaining > 0 {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        while try limitedRead(scratch) > 0 {}
      }
    }
  }

  /// Strips `./` and trailing `/`, refuses absolute paths, `..`, empty components
  /// inside the path, control characters and backslashes.
  static func normalize(_ raw: String, archive: String) throws -> String {
    if raw.hasPrefix("/") {
      throw HermitOCIError.unsafeArchive(
        "\(archive): absolute path \(Sanitized.quoted(raw)) is not allowed")
    }
    if raw.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == "\\" }) {
      throw HermitOCIError.unsafeArchive("\(archive): path with control characters or backslash")
    }
    var parts: [Substring] = []
    for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        throw HermitOCIError.unsafeArchive(
          "\(archive): path \(Sanitized.quoted(raw)) contains \"..\"")
      }
      parts.append(part)
    }
    return parts.joined(separator: "/")
  }
}
