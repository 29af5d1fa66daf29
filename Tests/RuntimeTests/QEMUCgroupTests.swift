import Foundation
import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// `run`'s cgroup for QEMU (issue 13): the ones a runtime killed with SIGKILL left
/// behind are swept by a later run, but never one that holds a process.
@Suite(
  .enabled(
    if: getuid() == 0 && access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) == 0,
    "needs root and cgroup v1 pids"))
struct QEMUCgroupTests {
  @Test func aLaterRunSweepsEmptyCgroupsButNotBusyOnesNorItsOwn() throws {
    let parent = "/sys/fs/cgroup/pids/hermit-sweep-test-\(getpid())"
    #expect(mkdir(parent, 0o755) == 0)
    defer { rmdir(parent) }
    for name in ["left", "busy", "mine"] { #expect(mkdir(parent + "/" + name, 0o755) == 0) }
    let sleeper = try Harness.start("/bin/sleep", ["30"])
    defer {
      kill(sleeper.pid, SIGKILL)
      _ = Harness.finish(sleeper)
      for name in ["left", "busy", "mine"] { rmdir(parent + "/" + name) }
    }
    try CgroupMounts.write("\(sleeper.pid)", to: parent + "/busy/cgroup.procs")

    // Too young: a run that has just made its cgroup may be about to use it.
    QEMUCgroup.sweep(parent, keeping: "mine")
    #expect(FileManager.default.fileExists(atPath: parent + "/left"))
    QEMUCgroup.sweep(parent, keeping: "mine", age: 0)
    #expect(!FileManager.default.fileExists(atPath: parent + "/left"))
    #expect(FileManager.default.fileExists(atPath: parent + "/busy"))
    #expect(FileManager.default.fileExists(atPath: parent + "/mine"))
  }
}
