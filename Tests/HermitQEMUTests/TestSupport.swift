import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A temporary directory per test; delete it in `defer`.
struct TemporaryDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermitqemu-tests-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  func delete() { try? FileManager.default.removeItem(at: url) }

  /// Writes an executable shell script.
  func script(_ name: String, _ body: String) throws -> String {
    let path = path(name)
    try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
  }
}

/// The repository root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// Assembles scripts/runtime-fake-guest.asm (a Multiboot stand-in guest that
/// follows the ABI's exit channel) into `directory`.
func assembleFakeGuest(into directory: TemporaryDirectory) throws -> String {
  let output = directory.path("fake-guest")
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [
    "nasm", "-f", "bin",
    repositoryRoot.appendingPathComponent("scripts/runtime-fake-guest.asm").path,
    "-o", output,
  ]
  try process.run()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
  return output
}
