import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 21 item 6: the state directory decides which pid `kill` signals and
/// what `rm` deletes, so one another user planted is refused.
extension TrustBoundaryTests {
  /// The attacker of these tests.
  static let otherUid: uid_t = 4343

  /// The runtime and the exit image where `uid` can run and read them.
  func runtimeFor(uid: uid_t, in scratch: Scratch) throws -> (runtime: String, image: String) {
    let images = try #require(Harness.images, "\(Harness.imagesFailure)")
    let home = scratch.path("u\(uid)")
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let runtime = home + "/hermit-runtime"
    try Harness.copyExecutable(Harness.runtime, to: runtime)
    let image = home + "/exit.tar"
    try FileManager.default.copyItem(atPath: images.exit, toPath: image)
    for path in [scratch.url.path, home, runtime, image] { #expect(chown(path, uid, uid) == 0) }
    return (runtime, image)
  }

  /// Removes `path`: a link itself, never what it points to.
  func removeLink(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

  /// `runtime ARGS` as `uid` (no groups), with only `environment` and PATH.
  func runAs(
    _ uid: uid_t, _ runtime: String, _ arguments: [String], environment: [String] = []
  ) throws -> Harness.Result {
    // A fork in a test running in parallel may hold the just-copied binary open
    // for writing until it execs: execve then fails with ETXTBSY for a moment.
    var attempt = 0
    while true {
      let result = try Harness.run(
        "/usr/bin/setpriv",
        [
          "--reuid", "\(uid)", "--regid", "\(uid)", "--clear-groups", "/usr/bin/env", "-i",
          "PATH=/usr/bin:/bin",
        ] + environment + [runtime] + arguments)
      attempt += 1
      guard result.status == 126, result.stderr.contains("Text file busy"), attempt < 20 else {
        return result
      }
      usleep(100_000)
    }
  }

  /// `/tmp/hermit-<uid>` made beforehand by another user (owned by them and
  /// writable by all), or a link of theirs from there to their own directory:
  /// every command refuses it with one line and 125, and the runtime stores
  /// nothing there. Once it is gone, the runtime makes its own, 0700.
  @Test(arguments: [("owned", uid_t(4244)), ("link", uid_t(4245))])
  func aStateDirectoryPlantedByAnotherUserIsRefused(kind: String, uid: uid_t) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let (runtime, image) = try runtimeFor(uid: uid, in: scratch)
    let planted = "/tmp/hermit-\(uid)"
    removeLink(planted)
    defer { removeLink(planted) }
    let theirs = kind == "owned" ? planted : scratch.path("theirs")
    try FileManager.default.createDirectory(
      atPath: theirs + "/containers", withIntermediateDirectories: true)
    for path in [theirs, theirs + "/containers"] {
      #expect(chown(path, Self.otherUid, Self.otherUid) == 0)
      #expect(chmod(path, 0o777) == 0)
    }
    if kind == "link" {
      try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: theirs)
      #expect(lchown(planted, Self.otherUid, Self.otherUid) == 0)
    }
    let home = ["HOME=\(scratch.path("u\(uid)"))"]
    for arguments in [
      ["run", "--rm", "-q", image, "--", "6"], ["ps", "-a"], ["kill", "victim"],
      ["rm", "-f", "victim"], ["stop", "victim"],
    ] {
      let result = try runAs(uid, runtime, arguments, environment: home)
      #expect(result.status == 125, "\(arguments): \(result.stdout) \(result.stderr)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1, "one line: \(result.stderr)")
      #expect(result.stderr.contains("state directory refused"), "\(result.stderr)")
      #expect(
        result.stderr.contains(
          kind == "owned" ? "belongs to uid 4343" : "symbolic link of uid 4343"),
        "\(result.stderr)")
    }
    let left = try FileManager.default.contentsOfDirectory(atPath: theirs + "/containers")
    #expect(left.isEmpty, "nothing stored in their directory: \(left)")
    // Without it, the runtime makes its own.
    removeLink(planted)
    let result = try runAs(
      uid, runtime, ["run", "--name", "mine", "-q", image, "--", "6"], environment: home)
    #expect(result.status == 6, "\(result.stdout) \(result.stderr)")
    for path in [planted, planted + "/containers"] {
      var info = stat()
      #expect(lstat(path, &info) == 0)
      #expect(info.st_uid == uid && info.st_mode & 0o7777 == 0o700, "\(path)")
    }
    #expect(FileManager.default.fileExists(atPath: planted + "/containers/mine/state.json"))
  }

  /// A non-root user's state goes in `$XDG_RUNTIME_DIR` (as podman's does), and
  /// no `/tmp/hermit-<uid>` is made.
  @Test func aUsersStateGoesInTheirRuntimeDirectory() throws {
    let uid: uid_t = 4246
    let scratch = try Scratch()
    defer { scratch.delete() }
    let (runtime, image) = try runtimeFor(uid: uid, in: scratch)
    let runtimeDirectory = scratch.path("run-user")
    try FileManager.default.createDirectory(
      atPath: runtimeDirectory, withIntermediateDirectories: true)
    #expect(chown(runtimeDirectory, uid, uid) == 0 && chmod(runtimeDirectory, 0o700) == 0)
    defer { removeLink("/tmp/hermit-\(uid)") }
    let environment = ["HOME=\(scratch.path("u\(uid)"))", "XDG_RUNTIME_DIR=\(runtimeDirectory)"]
    let result = try runAs(
      uid, runtime, ["run", "--name", "xdg", "-q", image, "--", "6"], environment: environment)
    #expect(result.status == 6, "\(result.stdout) \(result.stderr)")
    #expect(
      FileManager.default.fileExists(atPath: runtimeDirectory + "/hermit/containers/xdg/state.json")
    )
    #expect(!FileManager.default.fileExists(atPath: "/tmp/hermit-\(uid)/containers"))
    let listed = try runAs(uid, runtime, ["ps", "-a"], environment: environment)
    #expect(listed.stdout.contains("xdg"), "\(listed.stdout) \(listed.stderr)")
  }

  /// An OCI `--root` that is a symbolic link is refused by every OCI command;
  /// one the runtime makes is 0700 down from the first directory it creates.
  @Test func anOCIRootThatIsALinkIsRefusedAndANewOneIs0700() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try OCITests().makeBundle(in: scratch, app: "guests/exit", args: ["7"])
    try FileManager.default.createDirectory(
      atPath: scratch.path("real"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      atPath: scratch.path("link"), withDestinationPath: scratch.path("real"))
    let id = scratch.name("root")
    for arguments in [
      ["create", "--bundle", bundle, id], ["state", id], ["kill", id, "9"],
      ["delete", "--force", id],
      ["list"], ["start", id],
    ] {
      let result = try scratch.runtime(["--root", scratch.path("link")] + arguments)
      #expect(result.status == 125, "\(arguments): \(result.stdout) \(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
      #expect(result.stderr.contains("is a symbolic link"), "\(result.stderr)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("real")).isEmpty)
    let root = scratch.path("oci/root")
    let created = try scratch.runtime(["--root", root, "create", "--bundle", bundle, id])
    #expect(created.status == 0, "\(created.stderr)")
    for path in [scratch.path("oci"), root, root + "/" + id] {
      var info = stat()
      #expect(lstat(path, &info) == 0 && info.st_mode & 0o7777 == 0o700, "\(path)")
    }
    #expect(try scratch.runtime(["--root", root, "delete", "--force", id]).status == 0)
  }
}
