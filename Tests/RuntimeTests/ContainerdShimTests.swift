import Foundation
import Testing

/// What containerd's runc shim relies on when it drives the runtime (issue 12): a
/// signal for a stopped container answered as runc answers it, and errors that
/// reach `--log` whatever the shim made of the runtime's stderr.
@Suite(.enabled(if: Harness.guestsBuilt && Harness.isRoot, "needs build/ guests and root"))
struct ContainerdShimTests {
  /// One JSON object per line of a `--log-format json` file.
  func logRecords(_ path: String) throws -> [[String: String]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] ?? [:]
    }
  }

  @Test func killOfAStoppedContainerAnswersAsRuncDoes() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try OCITests().makeBundle(in: scratch, app: "guests/exit", args: ["7"])
    let root = scratch.path("root")
    let id = scratch.name("stopped")
    let log = scratch.path("log.json")
    let global = ["--root", root, "--log", log, "--log-format", "json"]
    #expect(try scratch.runtime(global + ["create", "--bundle", bundle, id]).status == 0)
    defer { _ = try? scratch.runtime(global + ["delete", "--force", id]) }
    #expect(try scratch.runtime(global + ["start", id]).status == 0)
    #expect(
      Harness.waitUntil(timeout: .seconds(30)) {
        (try? scratch.runtime(global + ["state", id]))?.stdout.contains("\"stopped\"") == true
      })
    // runc: `kill --all` of a stopped container succeeds, for any signal.
    for signal in ["9", "15", "KILL"] {
      let all = try scratch.runtime(global + ["kill", "--all", id, signal])
      #expect(all.status == 0, "kill --all \(signal): \(all.stderr)")
      #expect(all.stderr.isEmpty)
    }
    // A plain kill fails with runc's words, which the shim maps to "process already
    // finished"; the error is in the log too.
    let plain = try scratch.runtime(global + ["kill", id, "9"])
    #expect(plain.status == 125)
    #expect(plain.stderr.contains("container not running"), "\(plain.stderr)")
    #expect(try logRecords(log).last?["msg"]?.contains("container not running") == true)
    #expect(try scratch.runtime(global + ["state", id]).stdout.contains("\"stopped\""))
    #expect(try scratch.runtime(global + ["delete", id]).status == 0)
  }

  /// containerd's shim may give the runtime /dev/null opened read-only as stdout and
  /// stderr: writing the error must not crash (it did: SIGILL, exit 132) and the
  /// JSON line must reach `--log`.
  @Test(arguments: [
    (["kill", "--all", "nosuch", "9"], "no such container: nosuch"),
    (["state", "nosuch"], "no such container: nosuch"),
    (["create", "--bundle", "/nonexistent", "nosuch"], "invalid bundle"),
    (["kill"], "Missing expected argument"),
  ])
  func anErrorWithStderrOnReadOnlyDevNullStillReachesTheLog(
    arguments: [String], message: String
  ) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let log = scratch.path("log.json")
    let driver = """
      import os, subprocess, sys
      null = os.open("/dev/null", os.O_RDONLY)
      result = subprocess.run(sys.argv[1:], stdin=null, stdout=null, stderr=null)
      print(result.returncode)
      """
    let result = try Harness.run(
      "/usr/bin/python3",
      [
        "-c", driver, Harness.runtime, "--root", scratch.path("root"), "--log", log, "--log-format",
        "json",
      ] + arguments,
      environment: scratch.environment)
    #expect(result.stdout == "125\n", "\(result.stdout) \(result.stderr)")
    let records = try logRecords(log)
    #expect(records.count == 1)
    #expect(records.first?["level"] == "error")
    #expect(records.first?["msg"]?.contains(message) == true, "\(records)")
  }
}
