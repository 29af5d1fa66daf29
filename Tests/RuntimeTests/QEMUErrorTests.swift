import Foundation
import TestSupport
import Testing

/// When QEMU itself fails, the user reads one line: the runtime's, quoting QEMU's
/// error, not QEMU's line and then the runtime's (issue 10, item 7). Warnings
/// still pass through as they come.
@Suite(.enabled(if: Harness.images != nil, "needs build/ guests (make) and hermit-image"))
struct QEMUErrorTests {
  /// A stand-in QEMU in `scratch` that warns once, then fails with `error`
  /// (exit 1), each line prefixed as QEMU's own are.
  private func fakeQEMU(in scratch: Scratch, failingWith error: String) throws -> String {
    let fake = scratch.path("qemu-system-x86_64")
    try """
    #!/bin/sh
    echo "qemu-system-x86_64: warning: something harmless" >&2
    echo "qemu-system-x86_64: \(error)" >&2
    exit 1

    """.write(toFile: fake, atomically: true, encoding: .utf8)
    chmod(fake, 0o755)
    return fake
  }

  @Test func aFailingQEMUIsOneLine() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let fake = try fakeQEMU(
      in: scratch,
      failingWith: "cannot set up guest memory 'microvm.ram': Cannot allocate memory")
    let result = try Harness.run(
      Harness.runtime, ["run", "--rm", "--accel", "tcg", Harness.images!.hello],
      environment: scratch.environment.merging(["HERMIT_QEMU": fake]) { $1 })
    #expect(result.status == 125)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 2, "\(result.stderr)")
    #expect(lines.first == "qemu-system-x86_64: warning: something harmless")
    #expect(
      lines.last
        == "hermit-runtime: QEMU exited with status 1: qemu-system-x86_64: cannot set up guest memory 'microvm.ram': Cannot allocate memory"
    )
  }

  /// `run -d` waits for QEMU to listen on its published ports: a QEMU that fails
  /// to forward one is the run's error, one line as in the foreground, and the
  /// container is gone (with or without --rm).
  @Test(arguments: [[], ["--rm"]])
  func aDetachedRunWhoseQEMUCannotForwardItsPortFails(flags: [String]) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let port = try Loopback.freePort()
    let rule = "tcp:127.0.0.1:\(port)-:8000"
    let fake = try fakeQEMU(
      in: scratch, failingWith: "Could not set up host forwarding rule '\(rule)'")
    let name = scratch.name("noforward")
    let result = try Harness.run(
      Harness.runtime,
      ["run", "-d", "--name", name, "--accel", "tcg", "-p", "127.0.0.1:\(port):8000"] + flags
        + [Harness.images!.hello],
      environment: scratch.environment.merging(["HERMIT_QEMU": fake]) { $1 })
    #expect(result.status == 125)
    #expect(
      result.stderr
        == "hermit-runtime: QEMU exited with status 1: qemu-system-x86_64: Could not set up host forwarding rule '\(rule)'\n"
    )
    #expect(result.stdout.isEmpty)
    #expect(try scratch.runtime(["ps", "-a"]).stdout.contains(name) == false)
  }
}
