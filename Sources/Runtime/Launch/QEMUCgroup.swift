import FoundationEssentials
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// The cgroup holding a container's QEMU and its limits (issue 13, item 4), so a
/// runaway QEMU cannot take the host's memory or fill its process table.
///
/// `run`: a cgroup of its own. cgroup v2 (a unified hierarchy with the memory
/// and pids controllers): `<mount>/hermit/<id>` with `memory.max`,
/// `memory.swap.max` and `pids.max`. cgroup v1 (this project's CI machines):
/// `<hierarchy>/<own cgroup>/hermit/<id>` in the memory and pids hierarchies,
/// with `memory.limit_in_bytes` and `pids.max`; below the runtime's own cgroup,
/// so a limit set on the runtime (a service, a sandbox) still covers its guests.
/// `<id>` is the container's name, or `run-<pid>` for a foreground run, which
/// makes its cgroup before it knows the name (`RunPrefetch`).
///
/// OCI: QEMU stays in the cgroup podman or containerd names (`CgroupPlacement`),
/// and the same limits are written there, as runc writes `linux.resources`.
/// The memory limit is the guest's RAM plus QEMU's own overhead (the guest's RAM
/// is what `--memory` asked for; the overhead is the VM's, like a Kubernetes
/// RuntimeClass's pod overhead); the pids limit is `--pids-limit` when given.
struct QEMUCgroup: Codable, Equatable, Sendable {
  /// One directory per hierarchy.
  var directories: [String]
  var memoryLimit: UInt64
  var pidsLimit: Int
  /// The most memory QEMU's cgroup held, noted when QEMU has exited (`inspect`
  /// of a stopped `run` container; bench/confinement.sh).
  var peakMemory: UInt64?

  /// QEMU's own memory beside the guest's RAM. bench/confinement.sh measures a
  /// confined QEMU's peak at 20-80 MiB (hello, pi on 2 vCPUs, heapstress, httpd
  /// under 300 concurrent requests, TCG), whose largest variable part is TCG's
  /// translation cache, bounded at 64 MiB (`QEMUCommand.translationCacheMiB`).
  static let overheadBytes: UInt64 = 192 << 20
  /// QEMU's threads: main, RCU, one per vCPU, and a few workers.
  static func pidsLimit(cpus: Int) -> Int { 32 + 2 * cpus }

  /// How QEMU gets into the cgroup. v1: it is born there (`birthCgroups`: the
  /// forking thread steps in for the fork and back out, each `<own
  /// cgroup>/hermit/<id>` having the thread's own cgroup two levels up), as
  /// moving a process waits for an RCU grace period, 5-20 ms on this project's
  /// cgroup v1 hosts, and a thread moving itself does not. v2 (no thread moves
  /// outside threaded subtrees): its pid goes to `cgroup.procs` right after the
  /// fork, and it waits for that before execve.
  func place(_ confinement: inout Confinement) {
    if directories.count == 1 {
      confinement.cgroups = directories.map { $0 + "/cgroup.procs" }
    } else {
      confinement.birthCgroups = directories.map { directory in
        let home = PathText.parent(of: PathText.parent(of: directory))
        return Confinement.CgroupBirth(tasks: directory + "/tasks", homeTasks: home + "/tasks")
      }
    }
  }

  /// Creates the cgroup for container `id` with the limits set; nil when this
  /// host has neither v2 controllers nor v1 memory and pids hierarchies.
  static func create(
    id: String, memoryLimit: UInt64, pidsLimit: Int, mounts: CgroupMounts = .current(),
    own: [String: String]? = nil, made: [String]? = nil
  ) throws -> QEMUCgroup? {
    guard let directories = try made ?? make(name: id, mounts: mounts, own: own) else {
      return nil
    }
    let cgroup = QEMUCgroup(
      directories: directories, memoryLimit: memoryLimit, pidsLimit: pidsLimit)
    do {
      try cgroup.writeLimits()
    } catch {
      cgroup.remove()
      throw error
    }
    return cgroup
  }

  /// Makes the directories of cgroup `name` (and their `hermit` parents): v2
  /// `<mount>/hermit/<name>`, or v1 `<own cgroup>/hermit/<name>` in the memory and
  /// pids hierarchies; nil when neither has the controllers.
  /// `own`: this process's cgroups (`CgroupMounts.ownPaths`), when read already.
  /// `exclusive`: fail (EEXIST) rather than take a cgroup that exists already.
  static func make(
    name: String, mounts: CgroupMounts, own: [String: String]? = nil, exclusive: Bool = false
  ) throws -> [String]? {
    if let unified = mounts.unifiedWithControllers(["memory", "pids"]) {
      let parent = unified + "/hermit"
      try makeDirectory(parent)
      // cgroup-v2.rst "Enabling and Disabling": a child gets a controller only
      // if its parent's subtree_control lists it.
      try CgroupMounts.write("+memory +pids", to: unified + "/cgroup.subtree_control")
      try CgroupMounts.write("+memory +pids", to: parent + "/cgroup.subtree_control")
      try makeDirectory(parent + "/" + name, exclusive: exclusive)
      return [parent + "/" + name]
    }
    guard let memory = mounts.v1("memory"), let pids = mounts.v1("pids") else { return nil }
    let own = own ?? CgroupMounts.ownPaths()
    var made: [String] = []
    do {
      for (hierarchy, controller) in [(memory, "memory"), (pids, "pids")] {
        let parent = hierarchy + (own[controller] ?? "") + "/hermit"
        try makeDirectory(parent)
        try makeDirectory(parent + "/" + name, exclusive: exclusive)
        made.append(parent + "/" + name)
      }
    } catch {
      made.forEach { _ = rmdir($0) }
      throw error
    }
    return made
  }

  /// Sweeps the parents of this cgroup's directories (`sweep`). `run` does it
  /// once QEMU runs, off the boot's critical path (a stat per entry).
  func sweepSiblings() {
    for directory in directories {
      Self.sweep(PathText.parent(of: directory), keeping: PathText.leaf(of: directory))
    }
  }

  /// Writes the limits into the OCI container's cgroup (already created and
  /// joined by `placement`); nil when no hierarchy there has the controllers.
  static func limit(_ placement: CgroupPlacement, memoryLimit: UInt64, pidsLimit: Int) throws
    -> QEMUCgroup?
  {
    let mounts = CgroupMounts.current()
    var directories: [String] = []
    if let unified = mounts.unifiedWithControllers(["memory", "pids"]),
      access(unified + placement.path + "/memory.max", W_OK) == 0
    {
      directories = [unified + placement.path]
    } else if let memory = mounts.v1("memory"), let pids = mounts.v1("pids") {
      directories = [memory + placement.path, pids + placement.path]
    }
    guard !directories.isEmpty else { return nil }
    let cgroup = QEMUCgroup(
      directories: directories, memoryLimit: memoryLimit, pidsLimit: pidsLimit)
    try cgroup.writeLimits()
    return cgroup
  }

  /// Writes the limits: one directory is a v2 cgroup (`memory.max`, no swap,
  /// `pids.max`); two are v1's memory cgroup (`memory.limit_in_bytes`, and
  /// memory+swap the same where swap is accounted) and pids cgroup.
  func writeLimits() throws {
    let memory = directories[0]
    let pids = directories[directories.count - 1]
    if directories.count == 1 {
      try CgroupMounts.write("\(memoryLimit)", to: memory + "/memory.max")
      try? CgroupMounts.write("0", to: memory + "/memory.swap.max")
    } else {
      try CgroupMounts.write("\(memoryLimit)", to: memory + "/memory.limit_in_bytes")
      if access(memory + "/memory.memsw.limit_in_bytes", W_OK) == 0 {
        try? CgroupMounts.write("\(memoryLimit)", to: memory + "/memory.memsw.limit_in_bytes")
      }
    }
    try CgroupMounts.write("\(pidsLimit)", to: pids + "/pids.max")
  }

  /// Removes the cgroups in `parent` that runtimes killed with SIGKILL left
  /// behind (nobody was left to remove them). The kernel refuses to remove a
  /// cgroup that still holds a process, so a running container's stays; one made
  /// in the last `age` seconds is left alone too, as another run may be about to
  /// move its QEMU in (an `age` of 0 sweeps whatever the age).
  ///
  /// The age is against the precise clock: `time()` is the coarse one, which
  /// may still show the previous second when a fine-grained ctime (Linux 6.13's
  /// multigrain timestamps) already shows the next.
  static func sweep(_ parent: String, keeping id: String, age: Int = 60) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    for name in names where name != id {
      let directory = parent + "/" + name
      var info = stat()
      guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
        age <= 0 || now.tv_sec - info.st_ctim.tv_sec >= age
      else { continue }
      _ = rmdir(directory)
    }
  }

  /// The cgroup's peak memory use so far (v1 memory.max_usage_in_bytes, v2
  /// memory.peak), nil where neither exists.
  func readPeakMemory() -> UInt64? {
    for directory in directories {
      for file in ["memory.max_usage_in_bytes", "memory.peak"] {
        if let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8),
          let value = UInt64(text.trimmed)
        {
          return value
        }
      }
    }
    return nil
  }

  /// Removes the directories once QEMU is gone.
  func remove() {
    directories.forEach(CgroupMounts.removeWhenEmpty)
  }

  private static func makeDirectory(_ path: String, exclusive: Bool = false) throws {
    guard mkdir(path, 0o755) == 0 || (errno == EEXIST && !exclusive) else {
      throw RuntimeError.io(path: path, reason: String(cString: strerror(errno)))
    }
  }
}

/// The cgroup file systems this process sees (/proc/self/mountinfo) and its own
/// place in them (/proc/self/cgroup).
struct CgroupMounts {
  /// Every cgroup and cgroup2 mount point.
  var points: [String] { mounts.map(\.point) }

  struct Mount {
    var point: String
    var version2: Bool
    /// v1: the controllers of this hierarchy (from the super options).
    var controllers: Set<String>
  }
  var mounts: [Mount]

  static func current() -> CgroupMounts {
    let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    return CgroupMounts(mounts: parse(mountinfo: text))
  }

  /// mountinfo(5): `id parent major:minor root mount-point options ... - type source super-options`.
  static func parse(mountinfo: String) -> [Mount] {
    // Split as bytes: Character splitting (grapheme breaking) costs a boot more.
    mountinfo.utf8.split(separator: UInt8(ascii: "\n")).compactMap { line in
      let fields = line.split(separator: UInt8(ascii: " ")).map { Substring($0) }
      guard let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count, fields.count > 4
      else { return nil }
      let type = fields[dash + 1]
      guard type == "cgroup" || type == "cgroup2" else { return nil }
      let options = Set(fields[dash + 3].split(separator: ",").map(String.init))
      return Mount(point: String(fields[4]), version2: type == "cgroup2", controllers: options)
    }
  }

  /// The v1 hierarchy with `controller`.
  func v1(_ controller: String) -> String? {
    mounts.first { !$0.version2 && $0.controllers.contains(controller) }?.point
  }

  /// A v2 mount whose root offers all of `controllers`.
  func unifiedWithControllers(_ controllers: [String]) -> String? {
    for mount in mounts where mount.version2 {
      let available =
        (try? String(contentsOfFile: mount.point + "/cgroup.controllers", encoding: .utf8)) ?? ""
      let names = Set(available.split(whereSeparator: \.isWhitespace).map(String.init))
      if controllers.allSatisfy(names.contains) { return mount.point }
    }
    return nil
  }

  /// Removes a cgroup directory once its processes are gone: rmdir fails while
  /// any remains, so this retries for up to a second.
  static func removeWhenEmpty(_ directory: String) {
    for _ in 0..<50 {
      if rmdir(directory) == 0 || errno == ENOENT { return }
      usleep(20_000)
    }
  }

  /// Writes `text` to a cgroup control file; the error names the file.
  static func write(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw RuntimeError.io(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    let written = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    guard written == text.utf8.count else {
      throw RuntimeError.io(path: path, reason: String(cString: strerror(errno)))
    }
  }

  /// Controller name -> this process's cgroup path (v1 lines of /proc/self/cgroup:
  /// `4:memory:/path`).
  static func ownPaths() -> [String: String] {
    let text = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
    var paths: [String: String] = [:]
    for line in text.utf8.split(separator: UInt8(ascii: "\n")).map({ Substring($0) }) {
      let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3 else { continue }
      let path = parts[2] == "/" ? "" : String(parts[2])
      for controller in parts[1].split(separator: ",") { paths[String(controller)] = path }
    }
    return paths
  }
}
