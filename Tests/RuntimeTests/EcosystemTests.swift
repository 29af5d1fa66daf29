import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// podman and containerd drive hermit-runtime as their OCI runtime (PLATFORM.md has
/// the call sequences). Each uses a private store or daemon in a temporary directory.
@Suite(
  .serialized,
  .enabled(
    if: Harness.images != nil && Harness.isRoot, "needs build/ guests, hermit-image and root"))
struct EcosystemTests {
  var images: Harness.Images { Harness.images! }

  /// `podman` with a private store in `scratch`.
  func podman(_ scratch: Scratch, _ arguments: [String], timeout: Duration = .seconds(60)) throws
    -> Harness.Result
  {
    try FileManager.default.createDirectory(
      atPath: scratch.path("podman/tmp"), withIntermediateDirectories: true)
    let base = [
      "--root", scratch.path("podman/root"), "--runroot", scratch.path("podman/run"),
      "--storage-driver", "vfs", "--tmpdir", scratch.path("podman/tmp"), "--events-backend", "file",
    ]
    return try Harness.run(
      "/usr/bin/podman", base + arguments, environment: ["TMPDIR": scratch.path("podman/tmp")],
      timeout: timeout)
  }

  @Test(.enabled(if: Harness.tool("podman")))
  func podmanRunsStopsKillsAndRemovesHermitImages() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    for image in [images.hello, images.exit, images.spin] {
      let loaded = try podman(scratch, ["load", "-i", image])
      #expect(loaded.status == 0, "\(loaded.stderr)")
    }
    let runFlags = ["--os", "hermit", "--runtime", Harness.runtime]
    defer { _ = try? podman(scratch, ["rm", "-af", "-t", "0"]) }

    let hello = try podman(
      scratch, ["run", "--rm", "--network", "none"] + runFlags + ["hermit-test-hello:latest"])
    #expect(hello.status == 0, "\(hello.stderr)")
    #expect(hello.stdout.contains("Hello World!"))

    // -t: the console is a pty whose master goes to conmon over --console-socket.
    let tty = try podman(
      scratch, ["run", "--rm", "-t", "--network", "none"] + runFlags + ["hermit-test-hello:latest"])
    #expect(tty.status == 0, "\(tty.stderr)")
    #expect(tty.stdout.contains("Hello World!"))

    let exit = try podman(
      scratch, ["run", "--rm", "--network", "none"] + runFlags + ["hermit-test-exit:latest", "42"])
    #expect(exit.status == 42, "\(exit.stderr)")

    // podman's default network: QEMU runs in the container's namespace on a tap.
    let networked = try podman(
      scratch, ["run", "--rm"] + runFlags + ["hermit-test-exit:latest", "7"])
    #expect(networked.status == 7, "\(networked.stderr)")

    // podman stop: SIGTERM must stop the guest well within podman's 10 s.
    let started = try podman(
      scratch,
      ["run", "-d", "--network", "none", "--name", "spinner"] + runFlags + [
        "hermit-test-spin:latest"
      ])
    #expect(started.status == 0, "\(started.stderr)")
    let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(id)").isEmpty })
    // podman exec (conmon passes --pid-file, --process, --detach...): one clear line.
    let exec = try podman(scratch, ["exec", "spinner", "echo", "hi"])
    #expect(exec.status != 0)
    #expect(exec.stderr.contains("exec is not supported"), "\(exec.stderr)")
    #expect(!exec.stderr.contains("Unknown option"), "\(exec.stderr)")
    let clock = ContinuousClock.now
    #expect(try podman(scratch, ["stop", "spinner"]).status == 0)
    #expect(ContinuousClock.now - clock < .seconds(8))
    #expect(
      try podman(scratch, ["inspect", "--format", "{{.State.ExitCode}}", "spinner"]).stdout
        .contains("143"))
    #expect(Harness.pgrep("hermit-\(id)").isEmpty)
    #expect(try podman(scratch, ["rm", "spinner"]).status == 0)

    // podman kill (SIGKILL to the container process: QEMU dies with it).
    let second = try podman(
      scratch,
      ["run", "-d", "--network", "none", "--name", "victim"] + runFlags + [
        "hermit-test-spin:latest"
      ])
    let victim = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(victim)").isEmpty })
    #expect(try podman(scratch, ["kill", "victim"]).status == 0)
    #expect(Harness.waitUntil(timeout: .seconds(10)) { Harness.pgrep("hermit-\(victim)").isEmpty })
    #expect(try podman(scratch, ["rm", "victim"]).status == 0)
  }

  @Test(.enabled(if: Harness.tool("containerd") && Harness.tool("ctr")))
  func containerdRunsHermitImagesThroughCtr() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let socket = scratch.path("ctd/containerd.sock")
    let config = """
      version = 2
      root = "\(scratch.path("ctd/root"))"
      state = "\(scratch.path("ctd/state"))"
      disabled_plugins = ["io.containerd.grpc.v1.cri"]
      [grpc]
        address = "\(socket)"
      [ttrpc]
        address = "\(socket).ttrpc"
      """
    try FileManager.default.createDirectory(
      atPath: scratch.path("ctd"), withIntermediateDirectories: true)
    try config.write(toFile: scratch.path("ctd/config.toml"), atomically: true, encoding: .utf8)
    let daemon = try Harness.start(
      "/usr/bin/env", ["containerd", "--config", scratch.path("ctd/config.toml")])
    defer {
      kill(daemon.pid, SIGTERM)
      _ = Harness.finish(daemon, timeout: .seconds(10))
    }
    #expect(
      Harness.waitUntil(timeout: .seconds(20)) { FileManager.default.fileExists(atPath: socket) })
    func ctr(_ arguments: [String]) throws -> Harness.Result {
      try Harness.run("/usr/bin/env", ["ctr", "--address", socket] + arguments)
    }
    for image in [images.hello, images.exit, images.spin] {
      let imported = try ctr(["images", "import", "--platform", "hermit/amd64", image])
      #expect(imported.status == 0, "\(imported.stderr)")
    }
    // Named as the CRI normalizes references (issue 12), not `hermit-test-hello:latest`.
    let names = try ctr(["images", "ls", "-q"]).stdout.split(separator: "\n")
    #expect(names.contains("docker.io/library/hermit-test-hello:latest"), "\(names)")
    #expect(names.contains("docker.io/library/hermit-test-exit:latest"), "\(names)")
    let hello = try ctr([
      "run", "--rm", "--platform", "hermit/amd64", "--runc-binary", Harness.runtime,
      "docker.io/library/hermit-test-hello:latest", scratch.name("ctr-hello"),
    ])
    #expect(hello.status == 0, "\(hello.stderr)")
    #expect(hello.stdout.contains("Hello World!"))
    let exit = try ctr([
      "run", "--rm", "--platform", "hermit/amd64", "--runc-binary", Harness.runtime,
      "docker.io/library/hermit-test-exit:latest", scratch.name("ctr-exit"), "/hermit/app", "42",
    ])
    #expect(exit.status == 42, "\(exit.stderr)")
    #expect(exit.stdout.contains("exiting with 42"))

    // Its QEMU is confined like `run`'s, in the cgroup containerd names (issue 13).
    let spinner = scratch.name("ctr-spin")
    let detached = try ctr([
      "run", "-d", "--platform", "hermit/amd64", "--runc-binary", Harness.runtime,
      "docker.io/library/hermit-test-spin:latest", spinner,
    ])
    #expect(detached.status == 0, "\(detached.stderr)")
    defer {
      _ = try? ctr(["task", "kill", "-s", "SIGKILL", spinner])
      _ = Harness.waitUntil(timeout: .seconds(10)) { Harness.pgrep("hermit-\(spinner)").isEmpty }
      _ = try? ctr(["task", "rm", spinner])
      _ = try? ctr(["container", "rm", spinner])
    }
    let qemu = try #require(ConfinementTests.QEMUProcess.waitFor(spinner))
    ConfinementTests.expectConfined(qemu, memoryLimit: (64 + 192) << 20, pidsLimit: 34)
    #expect(qemu.cgroup("memory")?.hasSuffix("/default/\(spinner)") == true)
  }
}
