import Foundation
import HermitSystem
import Testing

@Suite struct FileTreeTests {
  /// A tree with files, an empty and a full directory, and symbolic links to a
  /// file and to a directory outside the tree: all of the tree goes, nothing a
  /// link points to does.
  @Test func aTreeGoesAndWhatItsLinksPointToStays() throws {
    let base = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-filetree-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: base) }
    let tree = base + "/tree"
    let outside = base + "/outside"
    for directory in [tree + "/empty", tree + "/full/deeper", outside] {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    for file in [tree + "/a", tree + "/full/b", tree + "/full/deeper/c", outside + "/kept"] {
      #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
    }
    try FileManager.default.createSymbolicLink(
      atPath: tree + "/to-file", withDestinationPath: outside + "/kept")
    try FileManager.default.createSymbolicLink(
      atPath: tree + "/to-directory", withDestinationPath: outside)
    #expect(FileTree.remove(tree))
    #expect(!FileManager.default.fileExists(atPath: tree))
    #expect(FileManager.default.fileExists(atPath: outside + "/kept"))
    // Nothing there is no failure; a file alone is removed too.
    #expect(FileTree.remove(tree))
    #expect(FileTree.remove(outside + "/kept"))
    #expect(!FileManager.default.fileExists(atPath: outside + "/kept"))
  }
}
