import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Whether a network namespace provably belongs to one container alone, before
/// `setUp` rewires it (issue 12: a pod with host networking names the host's own
/// namespace as `/proc/<pause pid>/ns/net`; rewiring it took the machine offline).
///
/// A namespace is identified by the nsfs inode behind its path (`stat`: `st_dev`,
/// `st_ino`), whatever the path (`/run/netns/X`, `/proc/<pid>/ns/net`, a bind mount).
/// It is refused when it is the runtime's own or process 1's (the host's), when
/// another live container record names it, or when any process other than a pod's
/// `pause` runs in it. `setUp` also refuses one that already holds the bridge.
/// Anything that cannot be checked counts as a refusal: the runtime never guesses.
extension NetworkNamespace {
  /// The identity of a namespace: nsfs device and inode.
  struct Identity: Equatable {
    var device: UInt64
    var inode: UInt64

    /// The namespace behind `path`, nil if it cannot be stat'ed.
    init?(path: String) {
      var info = stat()
      guard stat(path, &info) == 0 else { return nil }
      device = UInt64(info.st_dev)
      inode = UInt64(info.st_ino)
    }
  }

  /// The only process allowed in a namespace the runtime rewires: the pod
  /// sandbox's pause process (CRI), which only holds the namespace open.
  static let sandboxCommand = "pause"

  /// The inode of `/proc/self/net/dev` as seen from inside the namespace.
  func devInode() -> UInt64? {
    guard let output = try? inside(["stat", "-L", "-c", "%i", "/proc/self/net/dev"]) else {
      return nil
    }
    return UInt64(
      String(decoding: output, as: UTF8.self).trimmed)
  }

  /// True if this process may join the namespace (QEMU does, after `setns`).
  var isJoinable: Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    close(fd)
    return true
  }

  /// Why this namespace must not be rewired for container `id`, or nil when it
  /// belongs to the container alone. `store` holds the other containers.
  func refusal(for id: String, in store: ContainerStore) -> String? {
    guard let identity = Identity(path: path) else {
      return "cannot stat it: \(String(cString: strerror(errno)))"
    }
    if Identity(path: "/proc/self/ns/net") == identity { return "it is the runtime's own" }
    var probe = ProcessProbe(namespace: self, identity: identity)
    switch probe.isIn(1) {
    case true?: return "it is the host's (process 1's)"
    case nil: return "cannot inspect process 1"
    case false?: break
    }
    for record in store.all() where record.id != id {
      guard let other = record.networkNamespace, record.status != .stopped,
        Identity(path: other) == identity
      else { continue }
      return "container \(record.id) uses it"
    }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for pid in entries.compactMap(Int32.init) where pid != 1 {
      switch probe.isIn(pid) {
      case false?: continue
      case nil: return "cannot inspect process \(pid)"
      case true?:
        let command =
          (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
          .trimmed ?? "?"
        if command != Self.sandboxCommand { return "process \(pid) (\(command)) runs in it" }
      }
    }
    return nil
  }

  /// Whether a process runs in the namespace.
  ///
  /// By the nsfs identity of `/proc/<pid>/ns/net`. Reading that link needs ptrace
  /// access, which even root lacks for some processes: on these machines process 1
  /// (a sandbox's init) answers EACCES. Then `/proc/<pid>/net/dev`, served without
  /// that check, tells: every namespace registers its own `dev` entry under its own
  /// proc inode, so two processes see the same inode exactly when they share a
  /// namespace. The namespace's own is read once, from inside it (`stat` run in it).
  private struct ProcessProbe {
    let namespace: NetworkNamespace
    let identity: Identity
    /// The inode of `/proc/self/net/dev` inside the namespace: nil until needed,
    /// `.some(nil)` if it could not be read.
    var devInode: UInt64??

    init(namespace: NetworkNamespace, identity: Identity) {
      self.namespace = namespace
      self.identity = identity
    }

    /// True or false, or nil when it cannot be told.
    mutating func isIn(_ pid: Int32) -> Bool? {
      var info = stat()
      if stat("/proc/\(pid)/ns/net", &info) == 0 {
        return UInt64(info.st_dev) == identity.device && UInt64(info.st_ino) == identity.inode
      }
      // Exited (ENOENT, ESRCH), or a zombie whose namespaces are gone: not a user.
      guard errno == EACCES || errno == EPERM else { return false }
      guard stat("/proc/\(pid)/net/dev", &info) == 0 else { return errno == ENOENT ? false : nil }
      if devInode == nil { devInode = namespace.devInode() }
      guard let inode = devInode ?? nil else { return nil }
      return UInt64(info.st_ino) == inode
    }
  }
}
