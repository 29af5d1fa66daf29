import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 21: what a bundle, an annotation or a local user supplies must not
/// reach the host. Each test performs the attack.
@Suite(.enabled(if: Harness.guestsBuilt && Harness.isRoot, "needs build/ guests and root"))
struct TrustBoundaryTests {
  /// A bundle whose `rootfs/hermit/<name>` is a symbolic link to `target`.
  func bundleWithLink(_ scratch: Scratch, name: String, to target: String) throws -> String {
    let bundle = try OCITests().makeBundle(in: scratch, app: "guests/exit", args: ["7"])
    let file = bundle + "/rootfs/hermit/" + name
    try FileManager.default.removeItem(atPath: file)
    try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: target)
    return bundle
  }

  @Test(arguments: [
    ("app", "/etc/passwd"), ("app", "../../../../../../etc/passwd"),
    ("loader", "/etc/passwd"), ("image.json", "/etc/passwd"), ("app", "loader"),
  ])
  func aSymlinkedRootfsFileIsRefusedAtCreateWithOneLine(name: String, target: String) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try bundleWithLink(scratch, name: name, to: target)
    let root = scratch.path("root")
    let id = scratch.name("symlink")
    let created = try scratch.runtime(["--root", root, "create", "--bundle", bundle, id])
    #expect(created.status == 125, "\(created.stdout) \(created.stderr)")
    let lines = created.stderr.split(separator: "\n")
    #expect(lines.count == 1, "one line: \(created.stderr)")
    #expect(created.stderr.contains("symbolic link"), "\(created.stderr)")
    #expect(!created.stderr.contains("root:x:0"), "the host file must not be read")
    #expect(try scratch.runtime(["--root", root, "list", "-q"]).stdout.isEmpty)
  }

  @Test func aDirectoryOnTheWayThatIsASymlinkIsRefusedToo() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try OCITests().makeBundle(in: scratch, app: "guests/exit", args: ["7"])
    // rootfs/hermit -> a host directory holding a real loader and app.
    let elsewhere = scratch.path("elsewhere")
    try FileManager.default.moveItem(atPath: bundle + "/rootfs/hermit", toPath: elsewhere)
    try FileManager.default.createSymbolicLink(
      atPath: bundle + "/rootfs/hermit", withDestinationPath: elsewhere)
    let created = try scratch.runtime([
      "--root", scratch.path("root"), "create", "--bundle", bundle, scratch.name("dirlink"),
    ])
    #expect(created.status == 125)
    #expect(created.stderr.contains("symbolic link"), "\(created.stderr)")
  }

  @Test func anAnnotationNamingALinkNeverRemovesIt() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let namespace = "hermit-tb-\(scratch.url.lastPathComponent.suffix(8).lowercased())"
    func ip(_ arguments: [String]) throws -> Harness.Result {
      try Harness.run("/usr/bin/env", ["ip"] + arguments)
    }
    try #require(try ip(["netns", "add", namespace]).status == 0)
    defer { _ = try? ip(["netns", "delete", namespace]) }
    try #require(
      try ip(["-n", namespace, "link", "add", "victim0", "type", "veth", "peer", "name", "victim1"])
        .status == 0)
    let bundle = try OCITests().makeBundle(
      in: scratch, app: "guests/exit", args: ["3"],
      annotations: ["org.hermit.tap": "victim0", "org.hermit.cgroup": "/sys/fs/cgroup"])
    let root = scratch.path("root")
    let id = scratch.name("annot")
    // The runtime (and so its shim) in the namespace that holds the link, as a
    // shim runs in the engine's.
    let driver = """
      import ctypes, os, subprocess, sys
      ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
      rt, root, bundle, cid, pidfile = sys.argv[1:6]
      subprocess.run([rt, "--root", root, "create", "--bundle", bundle, "--pid-file", pidfile, cid], check=True)
      pid = int(open(pidfile).read())
      subprocess.run([rt, "--root", root, "start", cid], check=True)
      _, status = os.waitpid(pid, 0)
      print("EXIT", os.waitstatus_to_exitcode(status), flush=True)
      subprocess.run([rt, "--root", root, "delete", cid], check=True)
      """
    let result = try Harness.run(
      "/usr/bin/env",
      [
        "ip", "netns", "exec", namespace, "/usr/bin/python3", "-c", driver, Harness.runtime, root,
        bundle, id, scratch.path("pid"),
      ], environment: scratch.environment)
    #expect(result.stdout.contains("EXIT 3"), "\(result.stdout) \(result.stderr)")
    let link = try ip(["-n", namespace, "link", "show", "victim0"])
    #expect(link.status == 0, "victim0 was removed: \(link.stderr)")
  }

  @Test func anEnvironmentSecretIsOnNoCommandLineAndReachesTheGuest() throws {
    let images = try #require(Harness.images, "\(Harness.imagesFailure)")
    let scratch = try Scratch()
    defer { scratch.delete() }
    let secret = "s3cret-\(UUID().uuidString.prefix(12))"
    let name = scratch.name("secret")
    var environment = scratch.environment
    environment["DB_PASSWORD"] = secret
    // Passed by name, as a careful user does: the value is in no argv of ours.
    let started = try Harness.run(
      Harness.runtime,
      ["run", "-d", "--name", name, "-e", "DB_PASSWORD", images.spin],
      environment: environment)
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(name)").isEmpty }, "QEMU must run")
    var scanned = 0
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard Int32(entry) != nil,
        let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
      else { continue }
      scanned += 1
      let text = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
      #expect(!text.contains(secret), "pid \(entry) shows the secret: \(text)")
    }
    #expect(scanned > 3)
    // And the guest has it.
    let shown = try Harness.run(
      Harness.runtime,
      ["run", "--rm", "-q", "-e", "DB_PASSWORD", "-e", "A=b c", images.args],
      environment: environment)
    #expect(shown.status == 0, "\(shown.stderr)")
    #expect(shown.stdout.contains("env DB_PASSWORD=\(secret)"), "\(shown.stdout)")
    #expect(shown.stdout.contains("env A=b c"), "\(shown.stdout)")
  }

  @Test(arguments: [[], ["--privileged"]])
  func aTapNameCannotCarryOptionsIntoQEMU(extra: [String]) throws {
    let images = try #require(Harness.images, "\(Harness.imagesFailure)")
    let scratch = try Scratch()
    defer { scratch.delete() }
    let script = scratch.path("evil.sh")
    let marker = scratch.path("ran")
    try Data("#!/bin/sh\ntouch \(marker)\n".utf8).write(to: URL(fileURLWithPath: script))
    chmod(script, 0o755)
    let result = try scratch.runtime(
      ["run", "--rm"] + extra + ["--net", "tap:x,script=\(script)", images.exit, "--", "0"])
    #expect(result.status == 125)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    #expect(result.stderr.contains("invalid tap name"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: marker))
    let links = try Harness.run("/usr/bin/env", ["ip", "-o", "link", "show"])
    #expect(!links.stdout.contains("x,script"), "a stray tap: \(links.stdout)")
  }

  @Test func imageFilesOwnedByAUidWithoutAPasswdEntryBoot() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try OCITests().makeBundle(in: scratch, app: "guests/exit", args: ["4"])
    for name in ["loader", "app", "image.json"] {
      #expect(chown(bundle + "/rootfs/hermit/" + name, 4242, 4242) == 0)
    }
    let root = scratch.path("root")
    let id = scratch.name("uid")
    let created = try scratch.runtime(["--root", root, "create", "--bundle", bundle, id])
    #expect(created.status == 0, "\(created.stderr)")
    #expect(try scratch.runtime(["--root", root, "delete", "--force", id]).status == 0)
  }

  @Test func theRuntimeRunsAsAUidWithoutAPasswdEntryOrHome() throws {
    let images = try #require(Harness.images, "\(Harness.imagesFailure)")
    let scratch = try Scratch()
    defer { scratch.delete() }
    // The runtime where uid 4242 can run it, and an image it can read.
    let home = scratch.path("u4242")
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let runtime = home + "/hermit-runtime"
    try Harness.copyExecutable(Harness.runtime, to: runtime)
    let image = home + "/exit.tar"
    try FileManager.default.copyItem(atPath: images.exit, toPath: image)
    for path in [scratch.url.path, home, runtime, image] { #expect(chown(path, 4242, 4242) == 0) }
    defer { try? FileManager.default.removeItem(atPath: "/tmp/hermit-4242") }
    let result = try Harness.runRetryingWhileBusy(
      "/usr/bin/setpriv",
      [
        "--reuid", "4242", "--regid", "4242", "--clear-groups", "/usr/bin/env", "-i",
        "PATH=/usr/bin:/bin", "HERMIT_HOME=\(home)/store", runtime, "run", "--rm", "-q", image,
        "--", "6",
      ])
    #expect(result.status == 6, "\(result.stdout) \(result.stderr)")
    // Without HOME: the home directory comes from passwd by number, or a fallback.
    let bare = try Harness.runRetryingWhileBusy(
      "/usr/bin/setpriv",
      [
        "--reuid", "4242", "--regid", "4242", "--clear-groups", "/usr/bin/env", "-i",
        "PATH=/usr/bin:/bin", runtime, "run", "--rm", "-q", image, "--", "7",
      ])
    #expect(bare.status == 7, "\(bare.stdout) \(bare.stderr)")
  }
}
