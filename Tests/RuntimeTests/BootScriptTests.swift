import Foundation
import Testing

/// scripts/boot.sh (the seed's way, used by `make demo`) boots through
/// hermit-runtime: it neither spells out QEMU's flags nor decodes the exit status.
@Suite struct BootScriptTests {
  static var script: String { Harness.repository.appendingPathComponent("scripts/boot.sh").path }

  @Test func theScriptHoldsNoQEMUFlagsAndNoStatusDecoding() throws {
    let text = try String(contentsOfFile: Self.script, encoding: .utf8)
    for spelled in [
      "-device", "-kernel", "-initrd", "isa-debug-exit", "HERMIT-STATUS", "qemu-system",
    ] {
      #expect(!text.contains(spelled), "boot.sh spells out \(spelled)")
    }
  }

  @Test(.enabled(if: Harness.guestsBuilt, "needs `make`"))
  func theAppsExitCodeArgumentsAndOptionsGetThrough() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    var environment = scratch.environment
    environment["HERMIT_BIN"] = Harness.binaryDirectory.path
    let result = try Harness.run(
      "/bin/bash",
      [Self.script, Harness.build.appendingPathComponent("guests/exit").path, "quiet", "--", "42"],
      environment: environment)
    #expect(result.status == 42, "\(result.stderr)")
    #expect(result.stdout == "exiting with 42\n")
    // The runtime's own command line is shown.
    #expect(result.stderr.contains(" -initrd "), "\(result.stderr)")
  }

  @Test func anUnknownOptionIsRefused() throws {
    let result = try Harness.run(
      "/bin/bash", [Self.script, Harness.build.appendingPathComponent("guests/exit").path, "bogus"])
    #expect(result.status == 125)
    #expect(result.stderr.contains("unknown option 'bogus'"))
  }
}
