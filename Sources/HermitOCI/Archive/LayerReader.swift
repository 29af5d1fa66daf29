import FoundationEssentials

/// Reads one layer blob: decompresses it once, hashing the blob (its digest and
/// size are checked against the descriptor) and the tar stream (diff_id) while
/// `SafeTarWalker` checks every entry, and optionally extracts the files.
///
/// Whiteouts (image-spec/layer.md, "Whiteouts") are not files: `.wh.NAME` hides
/// NAME of the layers below and `.wh..wh..opq` everything below in its directory;
/// other `.wh..wh.` names are reserved and skipped. When extracting they are
/// applied to what earlier layers wrote (`RootfsWriter.removeLower`).
enum LayerReader {
  /// The whiteout that hides a directory's lower content (image-spec/layer.md).
  static let opaqueWhiteout = ".wh..wh..opq"
  /// The prefix of a whiteout's file name.
  static let whiteoutPrefix = ".wh."

  struct Result {
    var diffID: Digest
    /// Regular files in the layer (normalised paths), whiteouts excluded.
    var files: Set<String>
    /// Paths the layer's `.wh.` entries hide in the layers below.
    var whiteouts: Set<String>
    /// Directories whose lower content the layer hides (`.wh..wh..opq`).
    var opaqueDirectories: Set<String>
    /// Content of the file asked for with `captureFile`, if present.
    var captured: Data?

    /// Whether `path` (a file of a lower layer) is hidden by this layer.
    func hides(_ path: String) -> Bool {
      if whiteouts.contains(path) { return true }
      var parent = Substring(path)
      while let slash = parent.lastIndex(of: "/") {
        parent = parent[..<slash]
        if whiteouts.contains(String(parent)) || opaqueDirectories.contains(String(parent)) {
          return true
        }
      }
      return opaqueDirectories.contains("")
    }
  }

  /// Reads the layer at `url`. With `extractInto`, files and directories are created
  /// there (see `RootfsWriter`) and whiteouts applied.
  static func read(
    url: URL, descriptor: Descriptor, name: String, captureFile: String? = nil,
    extractInto: RootfsWriter? = nil
  ) throws -> Result {
    guard let compression = DecompressedStream.Compression(mediaType: descriptor.mediaType)
    else {
      throw HermitOCIError.unsupportedMediaType(what: name, mediaType: descriptor.mediaType)
    }
    let limits = TarLimits.forArchive(compressedSize: descriptor.size)
    let stream = try DecompressedStream(
      url: url, name: name, compression: compression, limit: limits.maxTotalBytes)
    var walker = SafeTarWalker(reader: try TarReader(stream: stream, name: name), limits: limits)
    var result = Result(
      diffID: Digest(validatedHex: String(repeating: "0", count: 64)), files: [], whiteouts: [],
      opaqueDirectories: [])
    extractInto?.beginLayer()
    try walker.walk { path, kind, size, mode, read in
      let slash = path.lastIndex(of: "/")
      let base = slash.map { path[path.index(after: $0)...] } ?? Substring(path)
      let directory = slash.map { String(path[..<$0]) } ?? ""
      if base.hasPrefix(whiteoutPrefix) {
        if base == opaqueWhiteout {
          result.opaqueDirectories.insert(directory)
          try extractInto?.removeLower(inside: directory)
        } else if !base.hasPrefix(whiteoutPrefix + whiteoutPrefix) {
          let hidden = base.dropFirst(whiteoutPrefix.count)
          guard hidden != ".", hidden != ".." else {
            throw HermitOCIError.unsafeArchive(
              "\(name): whiteout \(Sanitized.quoted(path)) names \(Sanitized.quoted(String(hidden)))"
            )
          }
          let target = directory.isEmpty ? String(hidden) : directory + "/" + hidden
          result.whiteouts.insert(target)
          try extractInto?.removeLower(target)
        }
        return
      }
      if kind == .directory {
        try extractInto?.directory(path)
        return
      }
      result.files.insert(path)
      if path == captureFile {
        guard size <= Int64(CanonicalJSON.maxDocumentSize) else {
          throw HermitOCIError.invalidJSON(what: path, reason: "\(size) bytes is too large")
        }
        let data = try Data(readingAll: read)
        result.captured = data
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
    result.diffID = try stream.drain()
    try stream.checkBlob(against: descriptor, what: name)
    return result
  }
}
