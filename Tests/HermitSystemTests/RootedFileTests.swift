import Foundation
import HermitSystem
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct RootedFileTests {
  /// A root holding `hermit/app` (a regular file) and `outside` beside it.
  func makeTree() throws -> (root: String, outside: String, delete: () -> Void) {
    let base = FileManager.default.temporaryDirectory
      .appendingPathComponent("rooted-\(UUID().uuidString.prefix(8))")
    let root = base.appendingPathComponent("root")
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("hermit"), withIntermediateDirectories: true)
    try Data("app".utf8).write(to: root.appendingPathComponent("hermit/app"))
    let outside = base.appendingPathComponent("outside")
    try Data("host secret".utf8).write(to: outside)
    return (root.path, outside.path, { try? FileManager.default.removeItem(at: base) })
  }

  @Test func aRegularFileInsideOpensAndReadsOnce() throws {
    let tree = try makeTree()
    defer { tree.delete() }
    let file = try RootedFile("hermit/app", in: tree.root)
    #expect(file.size == 3)
    #expect(try file.readAll(limit: 10) == Array("app".utf8))
    #expect(file.openedPath == tree.root + "/hermit/app")
    #expect(throws: SystemError.self) { try file.readAll(limit: 2) }
  }

  @Test(arguments: ["absolute", "relative", "directory"])
  func aSymlinkAnywhereOnTheWayIsRefused(kind: String) throws {
    let tree = try makeTree()
    defer { tree.delete() }
    switch kind {
    case "absolute":
      try FileManager.default.createSymbolicLink(
        atPath: tree.root + "/hermit/link", withDestinationPath: tree.outside)
    case "relative":
      try FileManager.default.createSymbolicLink(
        atPath: tree.root + "/hermit/link", withDestinationPath: "../../outside")
    default:
      try FileManager.default.createSymbolicLink(
        atPath: tree.root + "/hermit/link", withDestinationPath: tree.root + "/hermit")
    }
    let path = kind == "directory" ? "hermit/link/app" : "hermit/link"
    do {
      _ = try RootedFile(path, in: tree.root)
      Issue.record("opened \(path)")
    } catch {
      #expect(error.errno == ELOOP)
      #expect(error.description.contains("symbolic link"))
    }
  }

  @Test func dotDotNeverClimbsAboveTheRoot() throws {
    let tree = try makeTree()
    defer { tree.delete() }
    // In the root, `..` of the root is the root itself: ../outside is root/outside.
    #expect(throws: SystemError.self) { try RootedFile("../outside", in: tree.root) }
    #expect(try RootedFile("../hermit/app", in: tree.root).size == 3)
  }

  @Test func aDirectoryOrDeviceIsNotAFile() throws {
    let tree = try makeTree()
    defer { tree.delete() }
    do {
      _ = try RootedFile("hermit", in: tree.root)
      Issue.record("opened a directory")
    } catch {
      #expect(error.errno == EINVAL)
    }
  }
}
