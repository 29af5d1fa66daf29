import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 21 item 9: the OCI lifecycle as engines drive it: hooks, `exec`, `features`.
@Suite(.enabled(if: Harness.guestsBuilt && Harness.isRoot, "needs build/ guests and root"))
struct OCILifecycleTests {
  /// A hook that appends `NAME MARK STDIN` as one line to LOG and exits CODE
  /// (args: NAME LOG [CODE]; MARK from the hook's env).
  static let hookScript = """
    #!/bin/sh
    printf '%s %s ' "$1" "$HOOK_MARK" >> "$2"
    cat >> "$2"
    echo >> "$2"
    exit "${3:-0}"
    """

  /// The exit bundle with `hooks` (kind → [hook]) in its config.json.
  func bundle(_ scratch: Scratch, hooks: [String: Any]) throws -> String {
    let bundle = try OCITests().makeBundle(in: scratch, app: "guests/exit", args: ["7"])
    let url = URL(fileURLWithPath: bundle + "/config.json")
    var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    config["hooks"] = hooks
    try JSONSerialization.data(withJSONObject: config).write(to: url)
    return bundle
  }

  /// The logging hook for `name`, exiting `code`.
  func hook(_ scratch: Scratch, _ name: String, code: Int = 0) throws -> [String: Any] {
    let script = scratch.path("hook.sh")
    if !FileManager.default.fileExists(atPath: script) {
      try Data(Self.hookScript.utf8).write(to: URL(fileURLWithPath: script))
      chmod(script, 0o755)
    }
    // Run by /bin/sh, not exec'd: a fork of a test running in parallel may still
    // hold the just-written script open for writing (execve: ETXTBSY).
    return [
      "path": "/bin/sh", "args": ["sh", script, name, scratch.path("hooks.log"), "\(code)"],
      "env": ["HOOK_MARK=marked", "PATH=/usr/bin:/bin"],
    ]
  }

  /// The log's lines as (name, mark, state).
  func logged(_ scratch: Scratch) throws -> [(name: String, mark: String, state: [String: Any])] {
    let text = (try? String(contentsOfFile: scratch.path("hooks.log"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map { line in
      let fields = line.split(separator: " ", maxSplits: 2)
      let json = fields.count == 3 ? Data(fields[2].utf8) : Data()
      let state = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any]
      #expect(state != nil, "a state on stdin: \(line)")
      return (String(fields.first ?? ""), fields.count > 1 ? String(fields[1]) : "", state ?? [:])
    }
  }

  /// No shim of this root is left (one that waits on exec.fifo forever).
  func shims(_ root: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
      guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
        return false
      }
      let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      return line.contains("__shim --root \(root) ")
        && (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ")
          != true
    }
  }

  @Test func everyHookRunsInOrderWithTheStateOnStdin() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let kinds = [
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
    ]
    var hooks: [String: Any] = [:]
    for kind in kinds { hooks[kind] = [try hook(scratch, kind)] }
    let bundle = try bundle(scratch, hooks: hooks)
    let root = scratch.path("root")
    let id = scratch.name("hooks")
    let created = try scratch.runtime([
      "--root", root, "create", "--bundle", bundle, "--pid-file", scratch.path("pid"), id,
    ])
    #expect(created.status == 0, "\(created.stderr)")
    let pid = Int(try String(contentsOfFile: scratch.path("pid"), encoding: .utf8))
    #expect(try logged(scratch).map(\.name) == Array(kinds[0..<3]))
    #expect(try scratch.runtime(["--root", root, "start", id]).status == 0)
    #expect(try logged(scratch).map(\.name) == Array(kinds[0..<5]))
    #expect(
      Harness.waitUntil(timeout: .seconds(30)) {
        let state = try? scratch.runtime(["--root", root, "state", id]).stdout
        return state?.contains("\"stopped\"") == true
      })
    #expect(try scratch.runtime(["--root", root, "delete", id]).status == 0)
    let log = try logged(scratch)
    #expect(log.map(\.name) == kinds)
    let statuses = ["creating", "creating", "creating", "created", "running", "stopped"]
    for (entry, status) in zip(log, statuses) {
      #expect(entry.mark == "marked", "\(entry.name): the hook's own env")
      #expect(entry.state["status"] as? String == status, "\(entry.name)")
      #expect(entry.state["id"] as? String == id)
      #expect(entry.state["bundle"] as? String == bundle)
      #expect(entry.state["ociVersion"] as? String == "1.0.2")
      #expect((entry.state["annotations"] as? [String: String])?["org.example"] == "yes")
      if status != "stopped" { #expect(entry.state["pid"] as? Int == pid, "\(entry.name)") }
    }
  }

  @Test(arguments: ["prestart", "createRuntime", "createContainer"])
  func aFailingCreateHookFailsCreateAndLeavesNothing(kind: String) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    // The failing hook, then one of every create kind after it, and poststop.
    var hooks: [String: Any] = ["poststop": [try hook(scratch, "poststop")]]
    for later in ["prestart", "createRuntime", "createContainer"] {
      hooks[later] = [try hook(scratch, later, code: later == kind ? 3 : 0)]
    }
    let bundle = try bundle(scratch, hooks: hooks)
    let root = scratch.path("root")
    let id = scratch.name("fail")
    let created = try scratch.runtime(["--root", root, "create", "--bundle", bundle, id])
    #expect(created.status == 125)
    #expect(created.stderr.split(separator: "\n").count == 1, "\(created.stderr)")
    #expect(created.stderr.contains("\(kind) hook 0"), "\(created.stderr)")
    #expect(created.stderr.contains("failed: exit status 3"), "\(created.stderr)")
    // The hooks after it did not run, the container is gone with its shim, and
    // poststop ran (runtime.md: the lifecycle goes on at its destruction).
    let order = ["prestart", "createRuntime", "createContainer"]
    #expect(
      try logged(scratch).map(\.name) == order[...order.firstIndex(of: kind)!] + ["poststop"])
    #expect(try scratch.runtime(["--root", root, "list", "-q"]).stdout.isEmpty)
    #expect(Harness.waitUntil(timeout: .seconds(5)) { shims(root).isEmpty })
  }

  @Test func aHookThatHangsIsKilledAfterItsTimeout() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try bundle(
      scratch,
      hooks: ["createRuntime": [["path": "/bin/sleep", "args": ["sleep", "3031"], "timeout": 1]]])
    let root = scratch.path("root")
    let started = ContinuousClock.now
    let created = try scratch.runtime([
      "--root", root, "create", "--bundle", bundle, scratch.name("slow"),
    ])
    #expect(ContinuousClock.now - started < .seconds(10))
    #expect(created.status == 125)
    #expect(
      created.stderr.contains("createRuntime hook 0 (/bin/sleep) failed: timed out after 1 s"),
      "\(created.stderr)")
    #expect(Harness.waitUntil(timeout: .seconds(5)) { shims(root).isEmpty })
  }

  @Test func aFailingStartContainerHookStopsTheContainer() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try bundle(
      scratch,
      hooks: [
        "startContainer": [try hook(scratch, "startContainer", code: 4)],
        "poststart": [try hook(scratch, "poststart")],
        "poststop": [try hook(scratch, "poststop")],
      ])
    let root = scratch.path("root")
    let id = scratch.name("start")
    #expect(try scratch.runtime(["--root", root, "create", "--bundle", bundle, id]).status == 0)
    let started = try scratch.runtime(["--root", root, "start", id])
    #expect(started.status == 125)
    #expect(started.stderr.contains("startContainer hook 0"), "\(started.stderr)")
    #expect(try scratch.runtime(["--root", root, "state", id]).stdout.contains("\"stopped\""))
    #expect(shims(root).isEmpty)
    #expect(try scratch.runtime(["--root", root, "delete", id]).status == 0)
    #expect(try logged(scratch).map(\.name) == ["startContainer", "poststop"])
  }

  @Test func failingPoststartAndPoststopHooksOnlyWarn() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try bundle(
      scratch,
      hooks: [
        "poststart": [try hook(scratch, "poststart", code: 5), try hook(scratch, "poststart2")],
        "poststop": [try hook(scratch, "poststop", code: 6)],
      ])
    let root = scratch.path("root")
    let id = scratch.name("warn")
    #expect(try scratch.runtime(["--root", root, "create", "--bundle", bundle, id]).status == 0)
    let started = try scratch.runtime(["--root", root, "start", id])
    #expect(started.status == 0, "\(started.stderr)")
    #expect(started.stderr.contains("warning: poststart hook 0"), "\(started.stderr)")
    #expect(
      Harness.waitUntil(timeout: .seconds(30)) {
        (try? scratch.runtime(["--root", root, "state", id]).stdout)?.contains("\"stopped\"")
          == true
      })
    let deleted = try scratch.runtime(["--root", root, "delete", id])
    #expect(deleted.status == 0)
    #expect(deleted.stderr.contains("warning: poststop hook 0"), "\(deleted.stderr)")
    #expect(
      try logged(scratch).map(\.name) == ["poststart", "poststart2", "poststop"],
      "\(deleted.stderr) \(started.stderr)")
  }

  @Test func aRelativeHookPathIsRefused() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try bundle(scratch, hooks: ["prestart": [["path": "hook.sh"]]])
    let created = try scratch.runtime([
      "--root", scratch.path("root"), "create", "--bundle", bundle, scratch.name("rel"),
    ])
    #expect(created.status == 125)
    #expect(
      created.stderr.contains("hooks.prestart[0].path \"hook.sh\" is not absolute"),
      "\(created.stderr)")
  }

  /// What conmon passes for `podman exec -it` and `-d`: one line saying why, 125.
  @Test(arguments: [
    [
      "exec", "--pid-file", "/tmp/p", "--process", "/tmp/process.json", "--detach",
      "--console-socket",
      "/tmp/s", "--tty", "cid",
    ],
    ["exec", "-d", "--cwd", "/", "-e", "A=b", "--user", "0:0", "cid", "sh", "-c", "id"],
  ])
  func execSaysInOneLineThatAUnikernelHasNoProcessesToExec(arguments: [String]) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["--root", scratch.path("root")] + arguments)
    #expect(result.status == 125)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    #expect(result.stderr.contains("exec is not supported"), "\(result.stderr)")
    #expect(!result.stderr.contains("Unknown option"))
  }

  @Test func featuresSayWhatThisRuntimeRecognizes() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["features"])
    #expect(result.status == 0, "\(result.stderr)")
    let features =
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    #expect(features["ociVersionMin"] as? String == "1.0.0")
    #expect(features["ociVersionMax"] as? String == "1.0.2")
    #expect(
      Set(features["hooks"] as? [String] ?? [])
        == [
          "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        ])
    #expect(features["mountOptions"] as? [String] == [])
    let linux = features["linux"] as? [String: Any]
    #expect(linux?["namespaces"] as? [String] == ["network"])
    #expect((linux?["seccomp"] as? [String: Bool])?["enabled"] == false)
  }
}
