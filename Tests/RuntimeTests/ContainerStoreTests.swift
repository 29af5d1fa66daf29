import Foundation
import HermitQEMU
import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ContainerStoreTests {
  func record(_ id: String) -> ContainerRecord {
    ContainerRecord(
      id: id, kind: .run, image: "hello.tar", bundle: "/", created: Date(),
      vm: VMConfiguration(
        name: id, loader: "loader", app: "app", commandLine: "", statusFile: "status"),
      autoRemove: false, annotations: [:])
  }

  @Test func anUpdateThatCannotBeSavedIsAnError() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    // The temporary file of the atomic save cannot be created: its path is longer
    // than PATH_MAX (4096 with the NUL), while state.json's is just short enough.
    var root = scratch.url
    let length = 4095 - "/c/state.json".utf8.count
    while length - root.path.utf8.count > 250 {
      root.appendPathComponent(String(repeating: "d", count: 200))
    }
    root.appendPathComponent(String(repeating: "d", count: length - root.path.utf8.count - 1))
    #expect(root.path.utf8.count == length)
    try FileManager.default.createDirectory(
      at: root.deletingLastPathComponent(), withIntermediateDirectories: true)
    // Saved where the path is short, then moved there.
    let saved = ContainerStore(root: scratch.url.appendingPathComponent("short"))
    try saved.reserve("c")
    try saved.save(record("c"))
    try FileManager.default.moveItem(at: saved.root, to: root)
    let store = ContainerStore(root: root)
    #expect(throws: RuntimeError.self) {
      try store.update("c") { $0.exitCode = 3 }
    }
    #expect(try store.load("c").exitCode == nil)
  }

  @Test func anUpdateOfAVanishedContainerIsNoError() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    try ContainerStore(root: scratch.url).update("gone") { $0.exitCode = 3 }
  }
}

@Suite struct RuntimeErrorTests {
  struct Foreign: Error, CustomStringConvertible {
    var description: String { "the disk is on fire" }
  }

  @Test func aForeignErrorReadsAsItselfWithoutAnotherErrorPrefix() {
    #expect(RuntimeError.wrap(Foreign()).description == "the disk is on fire")
  }

  @Test func theLibrariesErrorsKeepTheirOwnWords() {
    let error = RuntimeError.wrap(HermitQEMUError.qemuNotFound("qemu-system-x86_64"))
    #expect(error.description == HermitQEMUError.qemuNotFound("qemu-system-x86_64").description)
  }
}
