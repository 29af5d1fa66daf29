import Foundation
import Testing

/// `hermit-image build` refuses an app the loader would refuse at boot, with the
/// loader's own message (BootFormat's ELF checks).
@Suite struct AppCheckTests {
  /// How each bad app is made from real files.
  enum BadApp: String, CaseIterable, CustomStringConvertible {
    /// A dynamically linked host program.
    case hostProgram
    /// examples/hello marked as AArch64 (e_machine 183).
    case otherMachine
    /// examples/hello cut in half.
    case truncated
    /// A static x86_64 ELF not linked with the kernel library: the loader itself.
    case notHermit

    var description: String { rawValue }

    /// The loader's message for it (Sources/BootFormat/ELF.swift, ELFError.message).
    var message: String {
      switch self {
      case .hostProgram: return "dynamically linked (has PT_INTERP); apps must be static"
      case .otherMachine: return "not an x86_64 ELF file"
      case .truncated: return "segment lies outside the file (truncated?)"
      case .notHermit: return "not a Hermit app (no HERMIT ABI note"
      }
    }

    func bytes(_ sandbox: Sandbox) throws -> Data {
      switch self {
      case .hostProgram:
        return try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))
      case .otherMachine:
        var data = try sandbox.builtApp()
        data[18] = 183  // EM_AARCH64
        data[19] = 0
        return data
      case .truncated:
        let data = try sandbox.builtApp()
        return data.prefix(data.count / 2)
      case .notHermit:
        return try Data(
          contentsOf: repositoryRoot.appendingPathComponent("build/hermit-loader.elf"))
      }
    }
  }

  @Test(arguments: BadApp.allCases)
  func aBadAppIsRefusedAtBuildWithTheLoadersMessage(app: BadApp) throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let file = sandbox.root.appendingPathComponent("bad-app")
    try app.bytes(sandbox).write(to: file)
    let result = try sandbox.run(["build", "-t", "bad", file.path])
    #expect(result.status == 125)
    let expected = "hermit-image: error: \(file.path): not a bootable app: \(app.message)"
    #expect(result.errorLines.first?.hasPrefix(expected) == true, "\(result.stderr)")
    #expect(result.errorLines.count == 1, "\(result.stderr)")
    #expect(try sandbox.storeSnapshot().keys.allSatisfy { !$0.hasPrefix("blobs/sha256/") })
  }

  @Test func theBuiltHelloPassesTheChecks() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    try sandbox.ok(["build", "-t", "hello", try sandbox.app().path])
  }
}
