import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime run` and the docker-style lifecycle, with real guests under TCG.
@Suite(.enabled(if: Harness.images != nil, "needs build/ guests (make) and hermit-image"))
struct RunTests {
  var images: Harness.Images { Harness.images! }

  @Test(arguments: [0, 1, 42, 128, 255])
  func theAppsExitCodeIsTheRuntimesExitCode(code: Int) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime([
      "run", "--rm", "--accel", "tcg", images.exit, "--", String(code),
    ])
    #expect(result.status == Int32(code), "stderr: \(result.stderr)")
  }

  @Test func argumentsAndEnvironmentReachTheApp() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime([
      "run", "--rm", "-q", "-e", "GREETING=hello there", "-e", "FOO=bar", images.args, "--", "one",
      "two words",
    ])
    #expect(result.status == 0)
    for line in ["arg[1]=one", "arg[2]=two words", "env FOO=bar", "GREETING is hello there"] {
      #expect(result.stdout.contains(line), "missing \(line) in \(result.stdout)")
    }
  }

  /// `docker run IMAGE a b`: everything after the image is the app's, flags
  /// included; `--` right after the image is accepted and dropped.
  @Test(arguments: [
    (["a", "b"], ["a", "b"]), (["--", "a", "b"], ["a", "b"]),
    (["-x", "--help", "-q"], ["-x", "--help", "-q"]),
    (["--", "--", "x"], ["--", "x"]), (["a", "--", "b"], ["a", "--", "b"]),
  ])
  func everythingAfterTheImageIsTheAppsArguments(given: [String], expected: [String]) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["run", "--rm", "-q", images.args] + given)
    #expect(result.status == 0, "stderr: \(result.stderr)")
    let shown = result.stdout.split(separator: "\n").map(String.init)
      .filter { $0.hasPrefix("arg[") && !$0.hasPrefix("arg[0]") }
    let wanted = expected.enumerated().map { "arg[\($0.offset + 1)]=\($0.element)" }
    #expect(shown == wanted, "\(result.stdout)")
  }

  @Test func theImagesDefaultArgumentsAreUsedWithoutArguments() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["run", "--rm", images.hello])
    #expect(result.status == 0)
    #expect(result.stdout.contains("Hello World!"))
    // The second run uses the unpacked cache.
    #expect(try scratch.runtime(["run", "--rm", images.hello]).status == 0)
  }

  @Test func anImageInTheStoreRunsByReference() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let loaded = try Harness.run(
      Harness.imageTool, ["load", "-i", images.exit], environment: scratch.environment)
    #expect(loaded.status == 0, "\(loaded.stderr)")
    let result = try scratch.runtime(["run", "--rm", "-q", "hermit-test-exit:latest", "--", "77"])
    #expect(result.status == 77, "stderr: \(result.stderr)")
    let missing = try scratch.runtime(["run", "--rm", "hermit-test-nothing:latest"])
    #expect(missing.status == 125)
    #expect(missing.stderr.contains("image not found: hermit-test-nothing:latest"))
  }

  /// `hermit-image build -t myapp myapp` then `run myapp` from the same folder: the
  /// source folder `myapp`, which holds no image, does not hide the stored one.
  @Test func anImageBuiltFromAFolderRunsByNameNextToThatFolder() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let source = scratch.url.appendingPathComponent("myapp")
    try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: Harness.repository.appendingPathComponent("examples/hello/main.swift"),
      to: source.appendingPathComponent("main.swift"))
    let environment = scratch.environment.merging(["HERMIT_TOOLCHAIN": Harness.build.path]) { $1 }
    /// `sh -c 'cd SCRATCH && exec TOOL ARGS'`: relative names, as a user types them.
    func inScratch(_ tool: String, _ arguments: [String]) throws -> Harness.Result {
      try Harness.run(
        "/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", scratch.url.path, tool] + arguments,
        environment: environment, timeout: .seconds(120))
    }
    let built = try inScratch(Harness.imageTool, ["build", "-t", "myapp", "myapp"])
    try #require(built.status == 0, "\(built.stderr)")
    let result = try inScratch(Harness.runtime, ["run", "--rm", "myapp"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("Hello World!"), "\(result.stdout)")
    // A folder with neither an image in it nor a stored image of its name says both.
    try FileManager.default.createDirectory(
      at: scratch.url.appendingPathComponent("other"), withIntermediateDirectories: true)
    let neither = try inScratch(Harness.runtime, ["run", "--rm", "other"])
    #expect(neither.status == 125)
    #expect(
      neither.stderr
        == "hermit-runtime: error: \(scratch.path("other")) is not a hermit rootfs (no hermit/loader), and no stored image is named other\n"
    )
  }

  @Test func aPanickingAppIsAClearFailure() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["run", "--rm", images.panic])
    #expect(result.status == 134)
    #expect(result.stderr.contains("hermit-runtime: the guest panicked"))
  }

  @Test func ctrlCStopsTheVM() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("sigint")
    let running = try scratch.startRuntime(["run", "--rm", "--name", name, images.spin])
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(name)").isEmpty })
    kill(running.pid, SIGINT)
    let result = Harness.finish(running, timeout: .seconds(20))
    #expect(result.status == 130)
    #expect(Harness.waitUntil(timeout: .seconds(5)) { Harness.pgrep("hermit-\(name)").isEmpty })
  }

  @Test func aDetachedGuestIsListedLoggedStoppedAndRemoved() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("detached")
    let started = try scratch.runtime(["run", "-d", "--name", name, images.spin])
    #expect(started.status == 0)
    #expect(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == name)
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(name)").isEmpty })
    let ps = try scratch.runtime(["ps"])
    #expect(ps.stdout.contains(name) && ps.stdout.contains("Up"))
    #expect(
      Harness.waitUntil {
        (try? scratch.runtime(["logs", name]))?.stdout.contains("Hermit for Swift") == true
      })
    // A guest that never exits on its own is stopped within the grace period.
    let clock = ContinuousClock.now
    #expect(try scratch.runtime(["stop", "-t", "1", name]).status == 0)
    #expect(ContinuousClock.now - clock < .seconds(5))
    #expect(Harness.pgrep("hermit-\(name)").isEmpty)
    #expect(try scratch.runtime(["ps"]).stdout.contains(name) == false)
    #expect(try scratch.runtime(["ps", "-a"]).stdout.contains("Exited (143)"))
    #expect(try scratch.runtime(["inspect", name]).stdout.contains("\"exitCode\" : 143"))
    #expect(try scratch.runtime(["rm", name]).status == 0)
    #expect(try scratch.runtime(["ps", "-a"]).stdout.contains(name) == false)
  }

  @Test func logsFollowEndsWhenTheGuestExits() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("follow")
    #expect(try scratch.runtime(["run", "-d", "--name", name, images.exit, "--", "3"]).status == 0)
    let logs = try scratch.runtime(["logs", "-f", name], timeout: .seconds(30))
    #expect(logs.status == 0)
    #expect(logs.stdout.contains("Shutting down"))
    #expect(try scratch.runtime(["ps", "-a"]).stdout.contains("Exited (3)"))
  }

  @Test func killingTheRuntimeWithSIGKILLNeverLeavesAQEMU() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let prefix = scratch.name("kill9")
    for round in 0..<20 {
      let running = try scratch.startRuntime([
        "run", "--rm", "--name", "\(prefix)-\(round)", images.spin,
      ])
      if round.isMultiple(of: 2) {
        // Once QEMU runs ...
        _ = Harness.waitUntil { !Harness.pgrep("hermit-\(prefix)-\(round)").isEmpty }
      } else {
        // ... and at an arbitrary moment around the fork.
        usleep(UInt32(round) * 5_000)
      }
      kill(running.pid, SIGKILL)
      _ = Harness.finish(running)
    }
    #expect(Harness.waitUntil(timeout: .seconds(5)) { Harness.pgrep("hermit-\(prefix)").isEmpty })
  }

  @Test func aBusyHostPortIsAOneLineErrorAndNothingBoots() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let (fd, port) = try Loopback.listen()
    defer { close(fd) }
    let name = scratch.name("busy")
    let result = try scratch.runtime([
      "run", "--rm", "--name", name, "-p", "127.0.0.1:\(port):80", images.hello,
    ])
    #expect(result.status == 125)
    #expect(
      result.stderr
        == "hermit-runtime: error: host port \(port)/tcp is already in use (127.0.0.1:\(port))\n")
    #expect(!result.stdout.contains("Hermit"))
    #expect(try scratch.runtime(["ps", "-a"]).stdout.contains(name) == false)
  }

  @Test func aPublishedPortBootsWithUserNetworking() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let (fd, port) = try Loopback.listen()
    close(fd)
    let result = try scratch.runtime([
      "run", "--rm", "-p", "127.0.0.1:\(port):80", images.exit, "--", "5",
    ])
    #expect(result.status == 5, "stderr: \(result.stderr)")
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/kvm")))
  func kvmEitherRunsTheGuestOrFailsClearlyButNeverHangs() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let clock = ContinuousClock.now
    let result = try scratch.runtime(
      ["run", "--rm", "--accel", "kvm", images.hello], timeout: .seconds(30))
    #expect(ContinuousClock.now - clock < .seconds(15))
    if result.status == 0 {
      #expect(result.stdout.contains("Hello World!"))
    } else {
      // This host's KVM fails on SSE (PLATFORM.md): the watchdog kills QEMU.
      #expect(result.status == 125)
      #expect(result.stderr.contains("KVM internal error"), "stderr: \(result.stderr)")
    }
  }

  @Test func autoAcceleratorRunsTheGuest() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["run", "--rm", "--accel", "auto", images.exit, "--", "11"])
    #expect(result.status == 11, "stderr: \(result.stderr)")
    #expect(
      FileManager.default.fileExists(atPath: scratch.path("cache/accel-probe.json"))
        || !FileManager.default.fileExists(atPath: "/dev/kvm"))
  }

  @Test func flagsOverrideTheImagesCPUsAndMemory() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try Harness.run(
      Harness.runtime,
      ["run", "--rm", "-q", "--cpus", "2", "--memory", "96M", images.exit, "--", "9"],
      environment: scratch.environment.merging(["HERMIT_DEBUG_QEMU": "1"]) { $1 })
    #expect(result.status == 9, "stderr: \(result.stderr)")
    for flag in ["-smp 2", "-m 96M", "-accel tcg,thread=multi", "-M microvm"] {
      #expect(result.stderr.contains(flag), "missing \(flag) in \(result.stderr)")
    }
  }

  @Test(.enabled(if: Harness.isRoot && Harness.tool("ip")))
  func tapNetworkingAddsATapToTheBridgeAndRemovesIt() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bridge = "hb" + String(scratch.url.lastPathComponent.suffix(8)).lowercased()
    #expect(
      try Harness.run("/usr/bin/env", ["ip", "link", "add", bridge, "type", "bridge"]).status == 0)
    defer { _ = try? Harness.run("/usr/bin/env", ["ip", "link", "delete", bridge]) }
    let environment = scratch.environment.merging([
      "HERMIT_BRIDGE": bridge, "HERMIT_DEBUG_QEMU": "1",
    ]) { $1 }
    let result = try Harness.run(
      Harness.runtime, ["run", "--rm", "-q", "--net", "tap", images.exit, "--", "4"],
      environment: environment)
    #expect(result.status == 4, "stderr: \(result.stderr)")
    // Confined QEMU gets the tap already open (no /dev/net/tun, no CAP_NET_ADMIN).
    #expect(result.stderr.contains("-netdev tap,id=net0,fd=3,vhost=off"))
    #expect(result.stderr.contains("-M microvm"))
    #expect(result.stderr.contains("virtio-net-device,netdev=net0"))
    let links = try Harness.run("/usr/bin/env", ["ip", "-br", "link", "show", "master", bridge])
    #expect(links.stdout.isEmpty, "the tap is removed after the run: \(links.stdout)")
    let missing = try Harness.run(
      Harness.runtime, ["run", "--rm", "--net", "tap", images.exit],
      environment: scratch.environment.merging(["HERMIT_BRIDGE": "nosuchbridge0"]) { $1 })
    #expect(missing.status == 125)
    #expect(missing.stderr.contains("bridge nosuchbridge0 not found"))
  }

  @Test func twoGuestsWithTheSameNameAreRefused() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("dup")
    #expect(try scratch.runtime(["run", "-d", "--name", name, images.spin]).status == 0)
    let second = try scratch.runtime(["run", "--name", name, images.hello])
    #expect(second.status == 125)
    #expect(second.stderr.contains("\"\(name)\" is already in use"))
    #expect(try scratch.runtime(["rm", "-f", name]).status == 0)
    #expect(Harness.waitUntil(timeout: .seconds(5)) { Harness.pgrep("hermit-\(name)").isEmpty })
  }

  @Test(arguments: [
    (["run", "/nonexistent/image.tar"], "image not found"),
    (["run", "--memory", "lots", "IMAGE"], "invalid memory size"),
    (["run", "--memory", "1M", "IMAGE"], "memory size \"1M\" is below the minimum of 2M"),
    (["run", "--memory", "99999999999999999G", "IMAGE"], "above the maximum of 1T"),
    (["run", "--memory", "1500K", "IMAGE"], "not a whole number of MiB"),
    (["run", "--memory", "100T", "IMAGE"], "above the maximum of 1T"),
    (["run", "--memory", "1000G", "IMAGE"], "more than this host's"),
    (["run", "--cpus", "-1", "IMAGE"], "invalid CPU count -1"),
    (["run", "-p", "80", "IMAGE"], "invalid port mapping"),
    (["stop", "nosuchcontainer"], "no such container"),
    (["run", "--accel", "warp", "IMAGE"], "warp"),
    (["frobnicate"], "frobnicate"),
    (["run", "--bogus", "IMAGE"], "Unknown option '--bogus'"),
  ])
  func runtimeErrorsAreOneLineAndStatus125(arguments: [String], message: String) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(arguments.map { $0 == "IMAGE" ? images.hello : $0 })
    #expect(result.status == 125)
    #expect(result.stderr.hasPrefix("hermit-runtime: error: "))
    #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
    #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
  }
}
