import Foundation
import Testing

/// A bundle whose rootfs is not a hermit image (a pod's pause sandbox) is runc's,
/// from `create` to `delete` (issue 12).
@Suite(
  .enabled(
    if: Harness.isRoot && Harness.tool("runc")
      && FileManager.default.isExecutableFile(atPath: "/bin/busybox"),
    "needs root, runc and busybox-static"))
struct RuncDelegateTests {
  /// A busybox rootfs with `runc spec`'s config.json, running `sh -c SCRIPT`.
  func makeLinuxBundle(in scratch: Scratch, script: String) throws -> String {
    let bundle = scratch.url.appendingPathComponent("linux-bundle")
    let bin = bundle.appendingPathComponent("rootfs/bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: "/bin/busybox", toPath: bin.appendingPathComponent("busybox").path)
    try FileManager.default.createSymbolicLink(
      atPath: bin.appendingPathComponent("sh").path, withDestinationPath: "busybox")
    let spec = try Harness.run("/usr/bin/env", ["runc", "spec", "--bundle", bundle.path])
    try #require(spec.status == 0, "\(spec.stderr)")
    let url = bundle.appendingPathComponent("config.json")
    var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    var process = config["process"] as! [String: Any]
    process["terminal"] = false
    process["args"] = ["/bin/sh", "-c", script]
    config["process"] = process
    try JSONSerialization.data(withJSONObject: config).write(to: url)
    return bundle.path
  }

  /// Drives create/state/start/wait/state/kill/list/delete the way containerd's
  /// shim does (a subreaper adopts the container process), and prints what it saw.
  static let driver = """
    import ctypes, json, os, subprocess, sys
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    rt, root, log, bundle, cid, pidfile = sys.argv[1:7]
    g = [rt, "--root", root, "--log", log, "--log-format", "json"]
    def call(*args):
        r = subprocess.run(g + list(args), capture_output=True, text=True)
        return r.returncode, r.stdout, r.stderr
    # The container process inherits create's stdio: not a pipe waited on here.
    code = subprocess.run(g + ["create", "--bundle", bundle, "--pid-file", pidfile, cid]).returncode
    print("CREATE", code, flush=True)
    pid = int(open(pidfile).read())
    print("STATE", json.loads(call("state", cid)[1])["status"], flush=True)
    print("START", call("start", cid)[0], flush=True)
    _, status = os.waitpid(pid, 0)
    print("EXIT", os.waitstatus_to_exitcode(status), flush=True)
    print("STATE", json.loads(call("state", cid)[1])["status"], flush=True)
    print("KILLALL", call("kill", "--all", cid, "9")[0], flush=True)
    code, _, err = call("kill", cid, "9")
    print("KILL", code, "not running" in err, flush=True)
    print("LIST", cid in call("list", "-q")[1].split(), flush=True)
    listed = json.loads(call("list", "--format", "json")[1])
    print("LISTJSON", [s["status"] for s in listed if s["id"] == cid], flush=True)
    print("DELETE", call("delete", cid)[0], flush=True)
    print("GONE", call("state", cid)[0] != 0, flush=True)
    """

  @Test func aLinuxBundleIsRuncsFromCreateToDelete() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeLinuxBundle(in: scratch, script: "echo hello from linux; exit 3")
    let root = scratch.path("root")
    let id = scratch.name("pause")
    let result = try Harness.run(
      "/usr/bin/python3",
      [
        "-c", Self.driver, Harness.runtime, root, scratch.path("log.json"), bundle, id,
        scratch.path("pid"),
      ], environment: scratch.environment)
    let expected = [
      "CREATE 0", "STATE created", "START 0", "EXIT 3", "STATE stopped", "KILLALL 0",
      "KILL 1 True", "LIST True", "LISTJSON ['stopped']", "DELETE 0", "GONE True",
    ]
    // The container's own line may come before or after the driver's START.
    var lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.contains("hello from linux"), "\(result.stdout) \(result.stderr)")
    lines.removeAll { $0 == "hello from linux" }
    #expect(lines == expected, "\(result.stdout) \(result.stderr)")
    // runc kept its state apart from ours, and nothing is left of either.
    #expect(
      (try? FileManager.default.contentsOfDirectory(atPath: root))?.sorted() == [".runc"])
    #expect((try? FileManager.default.contentsOfDirectory(atPath: root + "/.runc")) == [])
  }

  @Test func hermitRuncNamesTheRuncAndLaterCallsUseTheSameOne() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeLinuxBundle(in: scratch, script: "exit 0")
    let root = scratch.path("root")
    let id = scratch.name("wrapped")
    // A runc that notes its subcommands.
    let calls = scratch.path("calls")
    let wrapper = scratch.path("my-runc")
    try """
    #!/bin/sh
    for a in "$@"; do case "$a" in create|start|state|kill|delete) echo "$a" >> \(calls);; esac; done
    exec runc "$@"
    """.write(toFile: wrapper, atomically: true, encoding: .utf8)
    chmod(wrapper, 0o755)
    var environment = scratch.environment
    environment["HERMIT_RUNC"] = wrapper
    let created = try Harness.run(
      Harness.runtime, ["--root", root, "create", "--bundle", bundle, id],
      environment: environment)
    #expect(created.status == 0, "\(created.stderr)")
    // Later calls find the runc in the container's note, not in the environment.
    #expect(try scratch.runtime(["--root", root, "state", id]).stdout.contains("\"created\""))
    #expect(try scratch.runtime(["--root", root, "delete", "--force", id]).status == 0)
    #expect(try String(contentsOfFile: calls, encoding: .utf8) == "create\nstate\ndelete\n")
    #expect(try scratch.runtime(["--root", root, "state", id]).status == 125)
  }

  @Test func aMissingRuncIsOneErrorLineAndLeavesNothingBehind() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeLinuxBundle(in: scratch, script: "exit 0")
    let root = scratch.path("root")
    var environment = scratch.environment
    environment["HERMIT_RUNC"] = scratch.path("no-such-runc")
    let created = try Harness.run(
      Harness.runtime, ["--root", root, "create", "--bundle", bundle, "nornc"],
      environment: environment)
    #expect(created.status == 125)
    #expect(created.stderr.contains("HERMIT_RUNC"), "\(created.stderr)")
    #expect(created.stderr.split(separator: "\n").count == 1)
    #expect(!FileManager.default.fileExists(atPath: root + "/nornc"))
  }
}
