import Foundation
import HermitOCI
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The OCI runtime CLI driven by hand, the way conmon and containerd's shim call it.
@Suite(.enabled(if: Harness.guestsBuilt && Harness.isRoot, "needs build/ guests and root"))
struct OCITests {
  /// A bundle whose rootfs holds the loader, `app` and hermit/image.json.
  func makeBundle(
    in scratch: Scratch, app: String, args: [String], env: [String] = [],
    networkNamespace: String? = nil, resolvConf: String? = nil,
    annotations: [String: String] = ["org.example": "yes"]
  ) throws -> String {
    let bundle = scratch.url.appendingPathComponent("bundle")
    let hermit = bundle.appendingPathComponent("rootfs/hermit")
    try FileManager.default.createDirectory(at: hermit, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: Harness.build.appendingPathComponent("hermit-loader"),
      to: hermit.appendingPathComponent("loader"))
    try FileManager.default.copyItem(
      at: Harness.build.appendingPathComponent(app), to: hermit.appendingPathComponent("app"))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try encoder.encode(HermitMetadata()).write(to: hermit.appendingPathComponent("image.json"))
    var mounts: [[String: Any]] = []
    if let resolvConf {
      // As podman mounts it: a file of the engine's, bound over /etc/resolv.conf.
      let file = scratch.url.appendingPathComponent("resolv.conf")
      try Data(resolvConf.utf8).write(to: file)
      mounts.append([
        "destination": "/etc/resolv.conf", "type": "bind", "source": file.path,
        "options": ["bind", "rprivate"],
      ])
    }
    let config: [String: Any] = [
      "ociVersion": "1.0.2",
      "mounts": mounts,
      "process": ["args": ["/hermit/app"] + args, "env": env, "cwd": "/"],
      "root": ["path": "rootfs"],
      "annotations": annotations,
      "linux": [
        "namespaces": [["type": "pid"], ["type": "mount"]]
          + (networkNamespace.map { [["type": "network", "path": $0]] } ?? [])
      ],
    ]
    try JSONSerialization.data(withJSONObject: config).write(
      to: bundle.appendingPathComponent("config.json"))
    return bundle.path
  }

  /// Validates `json` against the runtime-spec state schema with python3-jsonschema.
  func validateState(_ json: String) throws -> Bool {
    let schema =
      "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema/state-schema.json"
    guard FileManager.default.fileExists(atPath: schema) else {
      Issue.record("\(schema) is missing (golang-github-opencontainers-specs-dev)")
      return false
    }
    let script = """
      import json, sys, jsonschema, pathlib
      schema = json.load(open(sys.argv[1]))
      base = pathlib.Path(sys.argv[1]).parent.as_uri() + "/"
      resolver = jsonschema.RefResolver(base_uri=base, referrer=schema)
      jsonschema.validate(json.loads(sys.argv[2]), schema, resolver=resolver)
      """
    let result = try Harness.run("/usr/bin/python3", ["-W", "ignore", "-c", script, schema, json])
    return result.status == 0
  }

  func state(_ scratch: Scratch, _ root: String, _ id: String) throws -> [String: Any] {
    let result = try scratch.runtime(["--root", root, "state", id])
    #expect(try validateState(result.stdout), "state JSON invalid: \(result.stdout)")
    return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
      ?? [:]
  }

  @Test func createStartStateDeleteAndTheShimsStatusIsTheExitCode() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeBundle(in: scratch, app: "guests/exit", args: ["42"])
    let root = scratch.path("root")
    let id = scratch.name("oci")
    // A subreaper adopts the container process when `create` exits (as conmon
    // does), then reports its exit status.
    let driver = """
      import ctypes, os, subprocess, sys, time
      ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
      rt, root, bundle, cid, pidfile = sys.argv[1:6]
      subprocess.run([rt, "--root", root, "create", "--bundle", bundle, "--pid-file", pidfile, cid], check=True)
      pid = int(open(pidfile).read())
      state = subprocess.run([rt, "--root", root, "state", cid], capture_output=True, text=True).stdout
      print("CREATED" if '"created"' in state else "NOT-CREATED " + state, flush=True)
      subprocess.run([rt, "--root", root, "start", cid], check=True)
      _, status = os.waitpid(pid, 0)
      print("EXIT", os.waitstatus_to_exitcode(status), flush=True)
      """
    let result = try Harness.run(
      "/usr/bin/python3", ["-c", driver, Harness.runtime, root, bundle, id, scratch.path("pid")],
      environment: scratch.environment)
    #expect(result.stdout.contains("CREATED\n"), "\(result.stdout) \(result.stderr)")
    #expect(result.stdout.contains("EXIT 42"), "\(result.stdout) \(result.stderr)")
    #expect(result.stdout.contains("exiting with 42"))
    let stopped = try state(scratch, root, id)
    #expect(stopped["status"] as? String == "stopped")
    #expect(stopped["bundle"] as? String == bundle)
    #expect((stopped["annotations"] as? [String: String])?["org.example"] == "yes")
    #expect(try scratch.runtime(["--root", root, "list"]).stdout.contains(id))
    #expect(try scratch.runtime(["--root", root, "delete", id]).status == 0)
    #expect(try scratch.runtime(["--root", root, "list", "-q"]).stdout.isEmpty)
  }

  @Test func killStopsARunningContainerAndDeleteForceCleansUp() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeBundle(in: scratch, app: "guests/spin", args: [])
    let root = scratch.path("root")
    let id = scratch.name("ocikill")
    #expect(
      try scratch.runtime([
        "--root", root, "create", "--bundle", bundle, "--pid-file", scratch.path("pid"), id,
      ]).status == 0)
    let created = try state(scratch, root, id)
    #expect(created["status"] as? String == "created")
    #expect((created["pid"] as? Int ?? 0) > 0)
    #expect(Harness.pgrep("hermit-\(id)").isEmpty, "the VM must wait for start")
    #expect(try scratch.runtime(["--root", root, "start", id]).status == 0)
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(id)").isEmpty })
    #expect(try state(scratch, root, id)["status"] as? String == "running")
    let ps = try scratch.runtime(["--root", root, "ps", "--format", "json", id])
    #expect(ps.stdout.hasPrefix("["))
    #expect(try scratch.runtime(["--root", root, "kill", id, "SIGTERM"]).status == 0)
    #expect(Harness.waitUntil(timeout: .seconds(10)) { Harness.pgrep("hermit-\(id)").isEmpty })
    #expect(
      Harness.waitUntil(timeout: .seconds(10)) {
        ((try? state(scratch, root, id))?["status"] as? String) == "stopped"
      })
    #expect(try scratch.runtime(["--root", root, "delete", "--force", id]).status == 0)
    // containerd deletes twice; the second --force delete succeeds.
    #expect(try scratch.runtime(["--root", root, "delete", "--force", id]).status == 0)
  }

  @Test func deleteForceKillsACreatedContainer() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeBundle(in: scratch, app: "guests/spin", args: [])
    let root = scratch.path("root")
    let id = scratch.name("ocidel")
    #expect(try scratch.runtime(["--root", root, "create", "--bundle", bundle, id]).status == 0)
    #expect(try scratch.runtime(["--root", root, "delete", id]).status == 125)
    #expect(try scratch.runtime(["--root", root, "delete", "--force", id]).status == 0)
    #expect(try scratch.runtime(["--root", root, "state", id]).status == 125)
  }

  @Test func errorsAreWrittenAsJSONToTheLogFile() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let log = scratch.path("log.json")
    let result = try scratch.runtime([
      "--root", scratch.path("root"), "--log", log, "--log-format", "json", "state", "nosuch",
    ])
    #expect(result.status == 125)
    let line = try String(contentsOfFile: log, encoding: .utf8)
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
    #expect(object?["level"] == "error")
    #expect(object?["msg"] == "no such container: nosuch")
  }

  @Test(.enabled(if: Harness.tool("ip") && Harness.tool("nsenter")))
  func aNetworkNamespaceGetsATapBridgedToItsInterfaceAndTheGuestItsAddress() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let suffix = String(scratch.url.lastPathComponent.suffix(6)).lowercased()
    let namespace = "hermit-test-\(suffix)"
    func ip(_ arguments: [String]) throws -> Harness.Result {
      try Harness.run("/usr/bin/env", ["ip"] + arguments)
    }
    // What podman's netavark leaves behind: a namespace whose eth0 holds the address.
    #expect(try ip(["netns", "add", namespace]).status == 0)
    defer { _ = try? ip(["netns", "delete", namespace]) }
    #expect(
      try ip([
        "link", "add", "vh\(suffix)", "type", "veth", "peer", "name", "eth0", "netns", namespace,
      ]).status == 0)
    for command in [
      ["addr", "add", "10.123.0.5/24", "dev", "eth0"], ["link", "set", "eth0", "up"],
      ["link", "set", "lo", "up"], ["route", "add", "default", "via", "10.123.0.1"],
    ] {
      #expect(try ip(["-n", namespace] + command).status == 0)
    }
    let path = "/run/netns/\(namespace)"
    let bundle = try makeBundle(
      in: scratch, app: "guests/spin", args: [], networkNamespace: path,
      resolvConf: "nameserver 127.0.0.53\nnameserver 10.123.0.1\n")
    let root = scratch.path("root")
    let id = scratch.name("ocinet")
    let created = try scratch.runtime(["--root", root, "create", "--bundle", bundle, id])
    #expect(created.status == 0, "\(created.stderr)")
    defer { _ = try? scratch.runtime(["--root", root, "delete", "--force", id]) }
    let tap = try ip(["-n", namespace, "-j", "link", "show", "htap0"])
    #expect(tap.stdout.contains("\"master\":\"hbr0\""), "\(tap.stdout)")
    let eth0 = try ip(["-n", namespace, "-j", "addr", "show", "eth0"])
    #expect(eth0.stdout.contains("\"master\":\"hbr0\""))
    #expect(!eth0.stdout.contains("10.123.0.5"), "the guest, not eth0, owns the address")
    let inspect = try scratch.runtime(["--root", root, "inspect", id])
    #expect(inspect.stdout.contains("ip=10.123.0.5/24 gateway=10.123.0.1 dns=10.123.0.1"))
    #expect(inspect.stdout.contains("tap,id=net0,ifname=htap0,script=no,downscript=no,vhost=off"))
    #expect(try scratch.runtime(["--root", root, "start", id]).status == 0)
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(id)").isEmpty })
    let qemu = try #require(Harness.pgrep("hermit-\(id)").first)
    let qemuNamespace = try FileManager.default.destinationOfSymbolicLink(
      atPath: "/proc/\(qemu)/ns/net")
    var info = stat()
    #expect(stat(path, &info) == 0)
    #expect(qemuNamespace == "net:[\(info.st_ino)]", "QEMU runs in the container's namespace")
  }

  @Test func versionNamesTheRuntimeAndTheSpec() throws {
    let result = try Harness.run(Harness.runtime, ["--version"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("hermit-runtime version"))
    #expect(result.stdout.contains("spec: 1.0.2"))
  }

  /// podman `-t` with a console socket nobody listens on: `create` fails, and closes
  /// each descriptor of the pty once (a second close can hit another thread's file).
  @Test(.enabled(if: Harness.tool("strace")))
  func aFailedConsoleHandOverClosesEachDescriptorOnce() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeBundle(in: scratch, app: "guests/exit", args: ["0"])
    let configURL = URL(fileURLWithPath: bundle).appendingPathComponent("config.json")
    var config =
      try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any] ?? [:]
    var process = config["process"] as? [String: Any] ?? [:]
    process["terminal"] = true
    config["process"] = process
    try JSONSerialization.data(withJSONObject: config).write(to: configURL)
    let trace = scratch.path("trace")
    let result = try Harness.run(
      "/usr/bin/strace",
      [
        "-f", "-e", "trace=close", "-o", trace, Harness.runtime, "--root", scratch.path("root"),
        "create", "--bundle", bundle, "--console-socket", scratch.path("nobody-listens"),
        scratch.name("console"),
      ])
    #expect(result.status == 125)
    #expect(result.stderr.contains("nobody-listens"), "\(result.stderr)")
    let closes = try String(contentsOfFile: trace, encoding: .utf8)
    #expect(!closes.contains("EBADF"), "\(closes)")
  }
}
