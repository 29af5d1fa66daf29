import FoundationEssentials

/// Reads one layer blob: decompresses it once, hashing the tar stream (diff_id) while
/// `SafeTarWalker` checks every entry, and optionally extracts the files.
enum LayerReader {
  struct Result {
    var diffID: Digest
    /// Regular files in the layer (normalised paths).
    var files: Set<String>
    /// Content of the file asked for with `captureFile`, if present.
    var captured: Data?
  }

  /// Reads the layer at `url`. With `extractInto`, files and directories are created
  /// there (see `RootfsWriter`).
  static func read(
    url: URL, descriptor: Descriptor, name: String, captureFile: String? = nil,
    extractInto: RootfsWriter? = nil
  ) throws -> Result {
    let gzip = descriptor.mediaType == MediaType.layerTarGzip
    let limits = TarLimits.forArchive(compressedSize: descriptor.size)
    let stream = try DecompressedStream(
      url: url, name: name, gzip: gzip, limit: limits.maxTotalBytes)
    var walker = SafeTarWalker(reader: try TarReader(stream: stream, name: name), limits: limits)
    var files = Set<String>()
    var captured: Data?
    try walker.walk { path, kind, size, mode, read in
      if kind == .directory {
        try extractInto?.directory(path)
        return
      }
      files.insert(path)
      if path == captureFile {
        guard size <= Int64(CanonicalJSON.maxDocumentSize) else {
          throw HermitOCIError.invalidJSON(what: path, reason: "\(size) bytes is too large")
        }
        let data = try Data(readingAll: read)
        captured = data
        if let extractInto {
          var offset = 0
          try extractInto.file(path, size: size, mode: mode) { out in
            let n = min(out.count, data.count - offset)
            data.copyBytes(to: out, from: offset..<(offset + n))
            offset += n
            return n
          }
        }
      } else if let extractInto {
        try extractInto.file(path, size: size, mode: mode, read: read)
      }
    }
    // The tar's end-of-archive padding is part of the diff_id too.
    let diffID = try stream.drain()
    return Result(diffID: diffID, files: files, captured: captured)
  }
}
