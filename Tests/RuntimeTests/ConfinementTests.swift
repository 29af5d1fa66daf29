import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A guest that escapes the emulator must not find root waiting (issue 13): QEMU
/// runs under its seccomp sandbox, as an unprivileged user with no capability and
/// `no_new_privs`, in a private root holding only what it needs, in a cgroup with
/// memory and pids limits, with no environment and only the descriptors it needs.
@Suite(
  .serialized,
  .enabled(
    if: Harness.images != nil && Harness.isRoot, "needs build/ guests, hermit-image and root"))
struct ConfinementTests {
  /// What /proc says of a running QEMU.
  struct QEMUProcess {
    let pid: Int32

    var status: [String: String] {
      let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
      var fields: [String: String] = [:]
      for line in text.split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[String(line[..<colon])] = line[line.index(after: colon)...]
          .trimmingCharacters(in: .whitespaces)
      }
      return fields
    }

    /// Every path under QEMU's root, as QEMU sees it.
    var rootPaths: [String] {
      let base = "/proc/\(pid)/root"
      var paths: [String] = []
      func walk(_ path: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base + path)) ?? []
        for name in names {
          let child = (path == "/" ? "" : path) + "/" + name
          paths.append(child)
          var info = stat()
          if lstat(base + child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { walk(child) }
        }
      }
      walk("/")
      return paths.sorted()
    }

    /// Targets of QEMU's open descriptors.
    var descriptors: [String] {
      let directory = "/proc/\(pid)/fd"
      let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
      return names.compactMap {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\($0)")
      }
    }

    var environment: [UInt8] {
      Array(FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data())
    }

    /// controller -> the cgroup directory of QEMU in that v1 hierarchy.
    func cgroup(_ controller: String) -> String? {
      let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, parts[1].split(separator: ",").contains(Substring(controller)) {
          return "/sys/fs/cgroup/\(controller)\(parts[2])"
        }
      }
      return nil
    }

    /// The QEMU of container `name`, once its seccomp filter is loaded (it loads it
    /// while it starts up).
    static func waitFor(_ name: String) -> QEMUProcess? {
      var found: QEMUProcess?
      _ = Harness.waitUntil(timeout: .seconds(30)) {
        found = Harness.pgrep("hermit-\(name)").first.map(QEMUProcess.init)
        return found?.status["Seccomp"] == "2"
      }
      return found
    }
  }

  /// Everything the issue asks of a confined QEMU; `logPath` is the console file
  /// the runtime opened for it (its stdout), if any.
  static func expectConfined(
    _ qemu: QEMUProcess, memoryLimit: UInt64, pidsLimit: Int, logPath: String? = nil,
    capabilities: String = "0000000000000000"
  ) {
    let status = qemu.status
    #expect(status["Seccomp"] == "2")
    for id in ["Uid", "Gid"] {
      let values = status[id]?.split(whereSeparator: \.isWhitespace) ?? []
      #expect(values.count == 4 && !values.contains("0"), "\(id): \(values)")
    }
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
      #expect(status[set] == capabilities, "\(set)")
    }
    #expect(status["NoNewPrivs"] == "1")
    // Its own mount namespace, whose root holds the guest's files and QEMU's own
    // binary, libraries and firmware, and nothing else of the host.
    let namespace = try? FileManager.default.destinationOfSymbolicLink(
      atPath: "/proc/\(qemu.pid)/ns/mnt")
    #expect(
      namespace != nil
        && namespace
          != (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt"))
    )
    let paths = qemu.rootPaths
    for needed in ["/hermit/app", "/hermit/loader", "/hermit/status", "/dev/null"] {
      #expect(paths.contains(needed), "\(needed) in \(paths)")
    }
    for path in paths {
      let allowed = [
        "/hermit", "/dev", "/usr/bin", "/usr/lib", "/usr/share/qemu", "/lib", "/lib64",
      ]
      #expect(
        allowed.contains { path == $0 || path.hasPrefix($0 + "/") || $0.hasPrefix(path + "/") },
        "\(path)")
    }
    // Its cgroup's limits (the runtime moves QEMU in while QEMU starts up).
    func limit(_ controller: String, _ file: String) -> String? {
      qemu.cgroup(controller).flatMap {
        try? String(contentsOfFile: $0 + "/" + file, encoding: .utf8)
      }?
      .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    _ = Harness.waitUntil(timeout: .seconds(5)) {
      limit("memory", "memory.limit_in_bytes") == "\(memoryLimit)"
        && limit("pids", "pids.max") == "\(pidsLimit)"
    }
    #expect(
      limit("memory", "memory.limit_in_bytes") == "\(memoryLimit)",
      "\(qemu.cgroup("memory") ?? "no memory cgroup")")
    #expect(
      limit("pids", "pids.max") == "\(pidsLimit)", "\(qemu.cgroup("pids") ?? "no pids cgroup")")
    // Nothing inherited: no environment; descriptors only its stdio, its own files
    // and QEMU's event descriptors.
    #expect(qemu.environment.isEmpty)
    let own = [
      "pipe:", "anon_inode:", "socket:", "/dev/null", "/dev/urandom", "/dev/kvm", "/hermit/",
    ]
    func isOwn(_ target: String) -> Bool {
      own.contains { target.hasPrefix($0) } || target == logPath
    }
    // While it starts, QEMU itself opens its firmware (/usr/share/qemu/...) and closes
    // it again; an inherited descriptor would stay.
    _ = Harness.waitUntil(timeout: .seconds(5)) { qemu.descriptors.allSatisfy(isOwn) }
    for target in qemu.descriptors {
      #expect(isOwn(target), "descriptor to \(target)")
    }
  }

  @Test func runConfinesQEMUAndRmRemovesItsCgroup() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("jailed")
    let started = try scratch.runtime(["run", "-d", "--name", name, Harness.images!.spin])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    let qemu = try #require(QEMUProcess.waitFor(name))
    let inspected = try scratch.runtime(["inspect", name])
    let details =
      try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [[String: Any]]
    let report = try #require(details?.first?["confinement"] as? [String: Any])
    let logPath = (details?.first?["record"] as? [String: Any])?["logPath"] as? String
    Self.expectConfined(
      qemu, memoryLimit: (64 + 192) << 20, pidsLimit: 34, logPath: logPath)
    // inspect lists exactly what QEMU can reach.
    #expect(report["root"] as? [String] == qemu.rootPaths)
    #expect(report["noNewPrivileges"] as? Bool == true)
    #expect((report["user"] as? String)?.contains("uid 0") == false)
    let cgroup = try #require(report["cgroup"] as? [String: Any])
    let directories = cgroup["directories"] as? [String] ?? []
    #expect(
      directories.count == 2
        && directories.allSatisfy { FileManager.default.fileExists(atPath: $0) })

    #expect(try scratch.runtime(["rm", "-f", name]).status == 0)
    #expect(Harness.waitUntil(timeout: .seconds(5)) { Harness.pgrep("hermit-\(name)").isEmpty })
    #expect(
      directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) },
      "cgroup left: \(directories)")
  }

  /// A foreground run makes QEMU's cgroup ahead, while it parses its flags
  /// (RunPrefetch: named for the runtime's pid), and confines QEMU the same way;
  /// the cgroup goes when the run ends, and a run that fails before booting
  /// leaves none behind.
  @Test func aForegroundRunConfinesQEMUInTheCgroupItMadeAhead() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("ahead")
    let running = try scratch.startRuntime(["run", "--rm", "--name", name, Harness.images!.spin])
    let qemu = try #require(QEMUProcess.waitFor(name))
    // Its stdout is the runtime's: the harness's file.
    Self.expectConfined(
      qemu, memoryLimit: (64 + 192) << 20, pidsLimit: 34, logPath: running.stdoutPath)
    let directory = try #require(qemu.cgroup("pids"))
    #expect(directory.hasSuffix("/hermit/run-\(running.pid)"), "\(directory)")
    kill(running.pid, SIGTERM)
    #expect(Harness.finish(running).status == 143)
    #expect(!FileManager.default.fileExists(atPath: directory), "cgroup left: \(directory)")

    let failed = try scratch.startRuntime(["run", "--rm", scratch.path("no-such-image.tar")])
    let result = Harness.finish(failed)
    #expect(result.status == 125, "\(result.stderr)")
    let pidsHermit = (directory as NSString).deletingLastPathComponent
    #expect(!FileManager.default.fileExists(atPath: pidsHermit + "/run-\(failed.pid)"))
  }

  /// A host port below 1024 keeps exactly CAP_NET_BIND_SERVICE, and QEMU binds it.
  @Test func aPrivilegedHostPortKeepsOnlyNetBindService() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let port = try #require((600..<1000).shuffled().first { Self.isFree($0) })
    let name = scratch.name("lowport")
    let started = try scratch.runtime(
      ["run", "-d", "--name", name, "-p", "127.0.0.1:\(port):8000", Harness.images!.spin])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    let qemu = try #require(QEMUProcess.waitFor(name))
    let status = qemu.status
    for set in ["CapPrm", "CapEff", "CapBnd", "CapAmb"] {
      #expect(status[set] == "0000000000000400", "\(set)")
    }
    #expect(status["Uid"]?.hasPrefix("0") == false)
    #expect(Harness.waitUntil { !Self.isFree(port) }, "QEMU listens on \(port)")
  }

  @Test(arguments: [false, true])
  func qemuIsSandboxedUnlessPrivileged(privileged: Bool) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name(privileged ? "open" : "sandboxed")
    let started = try scratch.runtime(
      ["run", "-d", "--name", name] + (privileged ? ["--privileged"] : [])
        + [Harness.images!.spin])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    // A privileged QEMU never loads a filter: wait for it to run, then look.
    var qemu: QEMUProcess?
    _ = Harness.waitUntil(timeout: .seconds(15)) {
      qemu = Harness.pgrep("hermit-\(name)").first.map(QEMUProcess.init)
      return qemu != nil && (privileged || qemu?.status["Seccomp"] == "2")
    }
    if privileged { usleep(500_000) }
    let status = try #require(qemu).status
    #expect(status["Seccomp"] == (privileged ? "0" : "2"))
    #expect(status["Uid"]?.hasPrefix("0\t") == privileged)
    let inspected = try scratch.runtime(["inspect", name]).stdout
    #expect(inspected.contains("\"privileged\" : \(privileged)"))
  }

  @Test(.enabled(if: Harness.tool("podman")))
  func podmanRunsQEMUConfinedInItsCgroupWithItsLimits() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    func podman(_ arguments: [String]) throws -> Harness.Result {
      try EcosystemTests().podman(scratch, arguments)
    }
    #expect(try podman(["load", "-i", Harness.images!.spin]).status == 0)
    defer { _ = try? podman(["rm", "-af", "-t", "0"]) }
    let started = try podman([
      "run", "-d", "--network", "none", "--memory", "64m", "--pids-limit", "50", "--os", "hermit",
      "--runtime", Harness.runtime, "hermit-test-spin:latest",
    ])
    #expect(started.status == 0, "\(started.stderr)")
    let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let qemu = try #require(QEMUProcess.waitFor(id))
    // The guest gets the 64 MiB asked for; its cgroup that plus QEMU's overhead.
    Self.expectConfined(qemu, memoryLimit: (64 + 192) << 20, pidsLimit: 50)
    #expect(qemu.cgroup("memory")?.contains("libpod-\(id)") == true)
  }

  /// Nobody listens on 127.0.0.1:`port`.
  static func isFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    return connected != 0
  }
}
