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
    let store = ContainerStore(root: scratch.url)
    try store.reserve("c")
    try store.save(record("c"))
    // The temporary file of the atomic save cannot be created: a directory has its name.
    try FileManager.default.createDirectory(
      at: store.file("c", ".state.json.\(getpid())"), withIntermediateDirectories: false)
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
