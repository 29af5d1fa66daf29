import Foundation
import HermitSystem
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct AtomicFileTests {
  /// A fresh directory; delete it in `defer`.
  func makeDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermitsystem-tests-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  func names(in directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
  }

  @Test(arguments: [AtomicFile.Durability.durable, .volatile])
  func aWriteReplacesTheFileAndLeavesNoTemporary(durability: AtomicFile.Durability) throws {
    let directory = try makeDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("state.json")
    try AtomicFile.write(Data("old".utf8), to: file, durability: durability)
    try AtomicFile.write(Array("new".utf8), to: file, durability: durability)
    #expect(try String(contentsOf: file, encoding: .utf8) == "new")
    #expect(try names(in: directory) == ["state.json"])
  }

  @Test func aFailingBodyRemovesTheTemporaryFile() throws {
    let directory = try makeDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    struct Failure: Error {}
    let temporary = AtomicFile.temporaryURL(for: directory.appendingPathComponent("blob"))
    #expect(throws: Failure.self) {
      try AtomicFile.fill(temporary) { fd in
        _ = write(fd, "part", 4)
        throw Failure()
      }
    }
    #expect(try names(in: directory).isEmpty)
  }

  @Test func aWriteIntoAMissingDirectoryNamesThePath() throws {
    let directory = try makeDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("missing/state.json")
    do {
      try AtomicFile.write(Data("x".utf8), to: file)
      Issue.record("the write succeeded")
    } catch let error as SystemError {
      #expect(error.operation == "create")
      #expect(error.errno == ENOENT)
      #expect(error.description.hasSuffix(": create: No such file or directory"))
    }
  }

  @Test func aFailedRenameRemovesTheSource() throws {
    let directory = try makeDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let source = directory.appendingPathComponent("source")
    try AtomicFile.write(Data("x".utf8), to: source)
    #expect(throws: SystemError.self) {
      try AtomicFile.rename(source, to: directory.appendingPathComponent("no/such/place"))
    }
    #expect(try names(in: directory).isEmpty)
  }
}
