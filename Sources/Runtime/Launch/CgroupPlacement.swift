import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// The cgroup config.json names (`linux.cgroupsPath`, runtime-spec config-linux.md
/// "Cgroups path"), joined the way runc's cgroupfs driver joins it (issue 12).
///
/// `create` puts the container's process (the shim, and with it QEMU) into
/// `<hierarchy>/<path>` of every mounted hierarchy, cgroup v1 controllers and v2
/// alike, so a pod's limits and accounting (the kubelet's `/kubepods/...`, CRI's
/// `/k8s.io/<id>`, podman's `/libpod_parent/libpod-<id>`) cover the VM. `delete`
/// removes the container's own directory, not its parents. The systemd driver's
/// `slice:prefix:name` form is not handled: such a container stays where it is.
struct CgroupPlacement {
  /// The path below each hierarchy's root, e.g. `/k8s.io/<id>`.
  let path: String

  /// Nil for an empty path or the systemd form.
  init?(_ cgroupsPath: String?) {
    guard let cgroupsPath, !cgroupsPath.isEmpty, !cgroupsPath.contains(":") else { return nil }
    // A relative path is taken from the root, as runc's cgroupfs driver does.
    path = cgroupsPath.hasPrefix("/") ? cgroupsPath : "/" + cgroupsPath
    guard !path.split(separator: "/").contains("..") else { return nil }
  }

  /// Mount points of the cgroup (v1) and cgroup2 file systems.
  static func hierarchies() -> [String] { CgroupMounts.current().points }

  /// Moves process `pid` into the cgroup, creating its directories; an error names
  /// the first hierarchy that refused.
  func join(_ pid: Int32) throws {
    for hierarchy in Self.hierarchies() {
      var directory = hierarchy
      for component in path.split(separator: "/") {
        let parent = directory
        directory += "/" + component
        if mkdir(directory, 0o755) == 0 {
          Self.inheritCpuset(directory, from: parent)
        } else if errno != EEXIST {
          throw RuntimeError.io(path: directory, reason: String(cString: strerror(errno)))
        }
      }
      try CgroupMounts.write("\(pid)", to: directory + "/cgroup.procs")
    }
  }

  /// Removes the container's directory in every hierarchy, once its processes
  /// are gone.
  func remove() {
    for hierarchy in Self.hierarchies() { CgroupMounts.removeWhenEmpty(hierarchy + path) }
  }

  /// A new cgroup v1 cpuset starts with no CPUs and no memory nodes, and refuses
  /// tasks until it has both: it takes its parent's.
  private static func inheritCpuset(_ directory: String, from parent: String) {
    for file in ["cpuset.cpus", "cpuset.mems"] {
      guard let value = try? String(contentsOfFile: "\(parent)/\(file)", encoding: .utf8),
        let current = try? String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8),
        current.trimmed.isEmpty
      else { continue }
      try? CgroupMounts.write(
        value.trimmed, to: "\(directory)/\(file)")
    }
  }
}
