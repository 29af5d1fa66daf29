import Foundation
import Testing

/// QEMU runs under its seccomp sandbox (issue 13, first step): a guest that
/// escapes the emulator cannot spawn, change privileges or use obsolete calls.
@Suite(
  .serialized,
  .enabled(if: Harness.images != nil, "needs build/ guests and hermit-image"))
struct ConfinementTests {
  /// The `Seccomp:` field of QEMU's /proc status for container `name` (2 = filter).
  func seccompMode(of name: String) -> String? {
    var pids: [Int32] = []
    _ = Harness.waitUntil(timeout: .seconds(30)) {
      pids = Harness.pgrep("hermit-\(name)")
      return !pids.isEmpty
    }
    guard let pid = pids.first,
      let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    else { return nil }
    return status.split(separator: "\n").first { $0.hasPrefix("Seccomp:") }
      .map { $0.dropFirst("Seccomp:".count).trimmingCharacters(in: .whitespaces) }
  }

  @Test(arguments: [false, true])
  func qemuIsSandboxedUnlessPrivileged(privileged: Bool) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name(privileged ? "open" : "jailed")
    let started = try scratch.runtime(
      ["run", "-d", "--name", name] + (privileged ? ["--privileged"] : [])
        + [Harness.images!.spin])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    // QEMU loads its filter while it starts up: wait for it (or for a second,
    // to see none comes, when privileged).
    let expected = privileged ? "0" : "2"
    var mode: String?
    _ = Harness.waitUntil(timeout: privileged ? .seconds(2) : .seconds(15)) {
      mode = seccompMode(of: name)
      return mode == expected && !privileged
    }
    #expect(mode == expected)
  }
}
