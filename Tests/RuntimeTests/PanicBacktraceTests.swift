import Foundation
import Testing

/// A panic names the app's functions and lines: `hermit-image build` keeps the
/// app's symbols in the store (not in the image), and `hermit-runtime` symbolizes
/// the frames the kernel reports (issue 10, item 5).
@Suite(.enabled(if: Harness.guestsBuilt, "needs build/ (make) for hermit-image build"))
struct PanicBacktraceTests {
  @Test func aSwiftTrapIsNamedWithItsKindFunctionAndLine() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let folder = Harness.repository.appendingPathComponent("Tests/Guests/fatal")
    let build = try Harness.run(
      Harness.imageTool, ["build", "-t", "fatal:1", folder.path], environment: scratch.environment)
    #expect(build.status == 0, "\(build.stderr)")
    let result = try scratch.runtime(["run", "--rm", "-q", "fatal:1"])
    #expect(result.status != 0)
    #expect(
      result.stderr.contains(
        "hermit-runtime: Swift runtime failure: Index out of range in main at \(folder.path)/main.swift:7:"
      ),
      "\(result.stderr)")
    #expect(result.stderr.contains("hermit-runtime: backtrace (symbols from "))
    #expect(result.stderr.contains("  #1 kernelStart(_:)"), "\(result.stderr)")

    // The symbols are in the store, and in no blob of the image.
    let symbols = scratch.url.appendingPathComponent("symbols/sha256")
    let files = try FileManager.default.contentsOfDirectory(atPath: symbols.path)
      .filter { !$0.hasSuffix(".layer") }
    #expect(files.count == 1)
    let blobs = try FileManager.default.contentsOfDirectory(
      atPath: scratch.url.appendingPathComponent("blobs/sha256").path)
    #expect(!blobs.contains(files[0]))
    let blobBytes = try blobs.map {
      try FileManager.default.attributesOfItem(
        atPath: scratch.path("blobs/sha256/\($0)"))[.size] as! Int
    }
    let symbolBytes =
      try FileManager.default.attributesOfItem(
        atPath: symbols.appendingPathComponent(files[0]).path)[
        .size] as! Int
    #expect(blobBytes.allSatisfy { $0 < symbolBytes }, "no blob is as big as the symbols")

    // The symbols go with the image: rm, then prune.
    let rm = try Harness.run(
      Harness.imageTool, ["rm", "fatal:1"], environment: scratch.environment)
    #expect(rm.status == 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: symbols.path).count == 2)
    let prune = try Harness.run(Harness.imageTool, ["prune"], environment: scratch.environment)
    #expect(prune.status == 0, "\(prune.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: symbols.path).isEmpty)
  }

  @Test func withoutSymbolsThePanicIsReportedAsBefore() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    // A prebuilt ELF: no symbols in the store.
    let tarball = scratch.path("panic.tar")
    let build = try Harness.run(
      Harness.imageTool,
      ["build", "-o", tarball, Harness.build.appendingPathComponent("guests/panic").path],
      environment: scratch.environment)
    #expect(build.status == 0, "\(build.stderr)")
    let result = try scratch.runtime(["run", "--rm", "-q", tarball])
    #expect(result.stderr.contains("hermit-runtime: the guest panicked"))
    #expect(!result.stderr.contains("backtrace (symbols"), "\(result.stderr)")
  }
}
