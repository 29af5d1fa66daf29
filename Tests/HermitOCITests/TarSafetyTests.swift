import Foundation
import Testing

@testable import HermitOCI

@Suite struct TarSafetyTests {
  /// Writes a tar with python3's tarfile; `entries` is Python code building a list
  /// of (TarInfo, bytes-or-None) named `E`.
  func makeTar(_ url: URL, _ entries: String) throws {
    try python(
      """
      import io, sys, tarfile
      def I(name, type=tarfile.REGTYPE, size=0, link=""):
          i = tarfile.TarInfo(name); i.type = type; i.size = size; i.linkname = link; return i
      \(entries)
      with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
          for i, d in E: t.addfile(i, io.BytesIO(d) if d is not None else None)
      """, [url.path])
  }

  func walk(_ url: URL, limits: TarLimits = .init(maxEntries: 100, maxTotalBytes: 1 << 20)) throws
    -> [String]
  {
    var walker = SafeTarWalker(reader: try TarReader(url: url), limits: limits)
    var paths: [String] = []
    try walker.walk { path, _, _, _, _ in paths.append(path) }
    return paths
  }

  @Test(arguments: [
    ("E = [(I('../x', size=1), b'x')]", "contains \"..\""),
    ("E = [(I('a/../../x', size=1), b'x')]", "contains \"..\""),
    ("E = [(I('/etc/x', size=1), b'x')]", "absolute path"),
    ("E = [(I('l', tarfile.SYMTYPE, link='/etc'), None)]", "symbolic link"),
    ("E = [(I('f', size=1), b'x'), (I('h', tarfile.LNKTYPE, link='f'), None)]", "hard link"),
    ("E = [(I('c', tarfile.CHRTYPE), None)]", "device node"),
    ("E = [(I('b', tarfile.BLKTYPE), None)]", "device node"),
    ("E = [(I('p', tarfile.FIFOTYPE), None)]", "special file"),
    ("E = [(I('f', size=1), b'x'), (I('f', size=1), b'y')]", "duplicate entry"),
    ("E = [(I('d', tarfile.DIRTYPE), None), (I('d', size=1), b'y')]", "duplicate entry"),
    ("E = [(I('f', size=1), b'x'), (I('f/g', size=1), b'y')]", "below the file"),
    ("E = [(I('a/b', size=1), b'x'), (I('a', size=1), b'y')]", "duplicate entry"),
    ("E = [(I('a\\\\b', size=1), b'x')]", "backslash"),
    ("E = [(I(f'd{i}', tarfile.DIRTYPE), None) for i in range(101)]", "more than 100 entries"),
    ("E = [(I('big', size=2 << 20), bytes(2 << 20))]", "decompression bomb"),
  ])
  func unsafeEntriesAreRejectedWithOneLine(entries: String, reason: String) throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tar = dir.appendingPathComponent("t.tar")
    try makeTar(tar, entries)
    do {
      _ = try walk(tar)
      Issue.record("accepted: \(entries)")
    } catch let error as HermitOCIError {
      #expect(error.description.contains(reason), "\(error)")
      #expect(!error.description.contains("\n"))
    }
  }

  @Test func safeEntriesAreNormalised() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tar = dir.appendingPathComponent("t.tar")
    try makeTar(
      tar,
      "E = [(I('./', tarfile.DIRTYPE), None), (I('./a/', tarfile.DIRTYPE), None), (I('a', tarfile.DIRTYPE), None), (I('./a/b', size=2), b'hi')]"
    )
    #expect(try walk(tar) == ["a", "a", "a/b"])
  }

  @Test func truncatedArchiveIsRejected() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tar = dir.appendingPathComponent("t.tar")
    try makeTar(tar, "E = [(I('f', size=100000), bytes(100000))]")
    let data = try Data(contentsOf: tar)
    try data.prefix(50000).write(to: tar)
    #expect(throws: HermitOCIError.self) { _ = try walk(tar) }
  }

  @Test func gzipLayersAreReproducibleAndHashedOnce() throws {
    let first = try ImageBuilder.layer(epoch: 0, files: [("hermit/app", Data("x".utf8), 0o755)])
    let second = try ImageBuilder.layer(epoch: 0, files: [("hermit/app", Data("x".utf8), 0o755)])
    #expect(first.data == second.data)
    // No mtime in the gzip header (bytes 4-7) and no name flag (byte 3).
    #expect(Array(first.data.prefix(10))[3...7] == [0, 0, 0, 0, 0])
    let later = try ImageBuilder.layer(epoch: 1000, files: [("hermit/app", Data("x".utf8), 0o755)])
    #expect(later.data != first.data, "SOURCE_DATE_EPOCH changes the entries' mtime")
  }

  @Test func rootfsWriterRefusesToFollowSymlinks() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let root = dir.appendingPathComponent("rootfs")
    let outside = dir.appendingPathComponent("outside")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      at: root.appendingPathComponent("hermit"), withDestinationURL: outside)
    let writer = try RootfsWriter(root: root)
    #expect(throws: HermitOCIError.self) {
      try writer.file("hermit/app", size: 1) { _ in 0 }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
  }
}
