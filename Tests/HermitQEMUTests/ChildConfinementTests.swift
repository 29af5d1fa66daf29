import Foundation
import Testing

@testable import HermitQEMU

#if canImport(Glibc)
  import Glibc
#endif

/// The confined child's steps between fork and execve (CHermitSys), with the
/// static busybox instead of QEMU: its new root, its identity and capabilities,
/// its descriptors, and the one-line error when a step fails (issue 13).
@Suite(
  .serialized,
  .enabled(
    if: getuid() == 0 && access("/bin/busybox", X_OK) == 0, "needs root and busybox-static"))
struct ChildConfinementTests {
  static let nobody = Confinement.Identity(uid: 65534, gid: 65534)

  /// busybox sleeping under `options`, for its /proc entries.
  static func sleeper(_ options: ChildProcess.Options) throws -> pid_t {
    try ChildProcess.spawn(
      path: "/bin/busybox", argv: ["busybox", "sleep", "30"], options: options)
  }

  static func reap(_ pid: pid_t) {
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
  }

  /// A root with busybox, /dev/null and one writable file.
  func root(in directory: TemporaryDirectory) throws -> Confinement.Root {
    try FileManager.default.createDirectory(
      atPath: directory.path("mnt"), withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: directory.path("out"), contents: nil)
    chown(directory.path("out"), 65534, 65534)
    return Confinement.Root(
      mountPoint: directory.path("mnt"),
      files: [
        Confinement.File(source: QEMURoot.realPath("/bin/busybox"), path: "/bin/busybox"),
        Confinement.File(source: directory.path("out"), path: "/hermit/out", writable: true),
      ],
      devices: [Confinement.Device(path: "/dev/null", major: 1, minor: 3, mode: 0o666)])
  }

  @Test func theNewRootHoldsOnlyWhatWasPutThere() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    var options = ChildProcess.Options()
    options.confinement = Confinement(identity: Self.nobody, root: try root(in: directory))
    let found = try ChildProcess.capture(
      path: "/bin/busybox",
      argv: ["busybox", "sh", "-c", "find / | sort; id -u; id -g; echo hello > /hermit/out"],
      options: options)
    #expect(found.status == 0, "\(found.errorText)")
    let lines = String(decoding: found.stdout, as: UTF8.self).split(separator: "\n").map(
      String.init)
    #expect(
      lines == [
        "/", "/bin", "/bin/busybox", "/dev", "/dev/null", "/hermit", "/hermit/out", "65534",
        "65534",
      ])
    // Written through the writable bind mount; the host's mounts are untouched.
    #expect(try String(contentsOfFile: directory.path("out"), encoding: .utf8) == "hello\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("mnt")).isEmpty)
  }

  @Test func theRootIsReadOnlyAndTheBinariesTooButTheWritableFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    var options = ChildProcess.Options()
    options.confinement = Confinement(identity: Self.nobody, root: try root(in: directory))
    let tried = try ChildProcess.capture(
      path: "/bin/busybox",
      argv: [
        "busybox", "sh", "-c",
        "touch /new 2>/dev/null && echo new; touch /bin/busybox 2>/dev/null && echo bin; echo ok",
      ], options: options)
    #expect(String(decoding: tried.stdout, as: UTF8.self) == "ok\n")
  }

  /// Uid, gid, groups, every capability set and no_new_privs, from the parent's
  /// view of the child's /proc status.
  @Test(arguments: [false, true])
  func theChildHasNoPrivilegeLeft(keepsNetBindService: Bool) throws {
    var options = ChildProcess.Options()
    var identity = Self.nobody
    identity.keepsNetBindService = keepsNetBindService
    options.confinement = Confinement(identity: identity)
    let pid = try Self.sleeper(options)
    defer { Self.reap(pid) }
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    func field(_ name: String) -> String? {
      status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
        .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }
    #expect(field("Uid") == "65534\t65534\t65534\t65534")
    #expect(field("Gid") == "65534\t65534\t65534\t65534")
    #expect(field("Groups") == "")
    #expect(field("NoNewPrivs") == "1")
    let expected = keepsNetBindService ? "0000000000000400" : "0000000000000000"
    for set in ["CapPrm", "CapEff", "CapBnd", "CapAmb"] {
      #expect(field(set) == expected, "\(set)")
    }
    #expect(field("CapInh") == expected)
  }

  @Test func onlyStdioAndThePassedDescriptorsAreInherited() throws {
    let pipe = try ChildProcess.makePipe()
    defer { close(pipe.read) }
    // Not close-on-exec, as a careless caller might leave one.
    let leaked = open("/dev/null", O_RDONLY)
    defer { close(leaked) }
    var options = ChildProcess.Options()
    options.passDescriptors = [pipe.write]
    options.confinement = Confinement(identity: Self.nobody)
    let listed = try ChildProcess.capture(
      path: "/bin/busybox",
      argv: ["busybox", "sh", "-c", "echo passed >&3; ls /proc/self/fd | sort -n | tr '\\n' ' '"],
      options: options)
    close(pipe.write)
    var buffer = [UInt8](repeating: 0, count: 16)
    let count = read(pipe.read, &buffer, buffer.count)
    #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == "passed\n")
    // ls opens one descriptor of its own for the directory.
    #expect(String(decoding: listed.stdout, as: UTF8.self) == "0 1 2 3 4 ")
  }

  /// The child starts in its cgroup: moved there by the parent before its
  /// execve (`cgroups`, cgroup.procs), or born there (`birthCgroups`, v1's
  /// tasks files) while the forking thread itself steps back out.
  @Test(
    .enabled(if: access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) == 0, "needs cgroup v1 pids"),
    arguments: [false, true])
  func theChildStartsInItsCgroup(born: Bool) throws {
    let name = "hermit-test-\(getpid())-\(born)"
    let directory = "/sys/fs/cgroup/pids/" + name
    #expect(mkdir(directory, 0o755) == 0)
    defer { rmdir(directory) }
    let home = try String(contentsOfFile: "/proc/thread-self/cgroup", encoding: .utf8)
    let homePath = try #require(home.split(separator: "\n").first { $0.contains(":pids:") })
      .split(separator: ":", maxSplits: 2)[2]
    var options = ChildProcess.Options()
    options.confinement = Confinement(identity: Self.nobody)
    if born {
      options.confinement?.birthCgroups = [
        Confinement.CgroupBirth(
          tasks: directory + "/tasks",
          homeTasks: "/sys/fs/cgroup/pids" + (homePath == "/" ? "" : homePath) + "/tasks")
      ]
    } else {
      options.confinement?.cgroups = [directory + "/cgroup.procs"]
    }
    let pid = try Self.sleeper(options)
    defer { Self.reap(pid) }
    let cgroups = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
    #expect(cgroups.contains(":pids:/\(name)\n"), "\(cgroups)")
    // The forking thread is back where it was.
    #expect(try String(contentsOfFile: "/proc/thread-self/cgroup", encoding: .utf8) == home)
  }

  @Test func theEnvironmentIsOnlyWhatIsGiven() throws {
    var options = ChildProcess.Options()
    options.inheritsEnvironment = false
    let printed = try ChildProcess.capture(
      path: "/bin/busybox", argv: ["busybox", "env"], options: options)
    #expect(printed.stdout.isEmpty)
  }

  @Test func aFailedStepIsNamedInOneError() throws {
    var options = ChildProcess.Options()
    options.confinement = Confinement(
      root: Confinement.Root(mountPoint: "/nonexistent-hermit-root", files: [], devices: []))
    #expect(
      throws: HermitQEMUError.childSetup(
        step: "mounting the new root", path: "/bin/busybox", errno: ENOENT)
    ) {
      _ = try ChildProcess.spawn(path: "/bin/busybox", argv: ["busybox", "true"], options: options)
    }
    #expect(throws: HermitQEMUError.childSetup(step: "execve", path: "/nonexistent", errno: ENOENT))
    {
      _ = try ChildProcess.spawn(path: "/nonexistent", argv: ["x"])
    }
  }
}
