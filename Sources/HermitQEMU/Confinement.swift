import HermitSystem

/// How a child process (QEMU) is confined, issue 13: decided by the runtime,
/// carried out by `ChildProcess` between fork and execve, and shown by `inspect`.
///
/// The model is Firecracker's jailer and libvirt's QEMU: the child gets a
/// private mount namespace whose root holds only what it needs,
/// becomes an unprivileged user with no capabilities, and can never regain any
/// (`no_new_privs`). QEMU's own seccomp sandbox (`QEMUCommand.sandbox`) comes on
/// top, once QEMU has started.
public struct Confinement: Codable, Equatable, Sendable {
  /// The user the child runs as.
  public struct Identity: Codable, Equatable, Sendable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups (none by default).
    public var groups: [UInt32]
    /// Keep CAP_NET_BIND_SERVICE (ambient) and nothing else: for host ports
    /// below 1024, which only a privileged process may bind.
    public var keepsNetBindService: Bool

    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = [], keepsNetBindService: Bool = false)
    {
      self.uid = uid
      self.gid = gid
      self.groups = groups
      self.keepsNetBindService = keepsNetBindService
    }
  }

  /// A host file shown at `path` in the new root.
  public struct File: Codable, Equatable, Sendable {
    /// The host file (no symbolic links).
    public var source: String
    /// Where the child sees it.
    public var path: String
    public var writable: Bool
    /// A descriptor of `source` opened beforehand: the bind must show that very
    /// file (a guest file checked by `RootedFile`), or the child fails.
    public var sameAsDescriptor: Int32?

    public init(
      source: String, path: String, writable: Bool = false, sameAsDescriptor: Int32? = nil
    ) {
      self.source = source
      self.path = path
      self.writable = writable
      self.sameAsDescriptor = sameAsDescriptor
    }

    /// `file` at `path`: bound by the path its descriptor was opened by, and
    /// checked to be that file.
    public init(opened file: RootedFile, path: String) {
      self.init(source: file.openedPath, path: path, sameAsDescriptor: file.descriptor)
    }
  }

  /// A character device created in the new root, owned by the child's user.
  public struct Device: Codable, Equatable, Sendable {
    public var path: String
    public var major: UInt32
    public var minor: UInt32
    public var mode: UInt32

    public init(path: String, major: UInt32, minor: UInt32, mode: UInt32) {
      self.path = path
      self.major = major
      self.minor = minor
      self.mode = mode
    }
  }

  /// A private mount namespace whose root is a read-only tmpfs holding `files`
  /// and `devices` and nothing else of the host.
  public struct Root: Codable, Equatable, Sendable {
    /// An existing empty host directory the tmpfs is mounted on (in the child's
    /// namespace only).
    public var mountPoint: String
    public var files: [File]
    public var devices: [Device]

    public init(mountPoint: String, files: [File], devices: [Device]) {
      self.mountPoint = mountPoint
      self.files = files
      self.devices = devices
    }

    /// Every path the child can reach, sorted: files, devices and their parent
    /// directories.
    public var paths: [String] {
      var all = Set<String>()
      for path in files.map(\.path) + devices.map(\.path) {
        all.insert(path)
        all.formUnion(Self.ancestors(of: path))
      }
      return all.sorted()
    }

    /// `/a/b/c` -> `/a`, `/a/b`, outermost first.
    static func ancestors(of path: String) -> [String] {
      // As bytes: every boot lists some 80 paths for `inspect`.
      let slashes = path.utf8.indices.filter { path.utf8[$0] == UInt8(ascii: "/") }
      return slashes.compactMap { $0 == path.startIndex ? nil : String(path[..<$0]) }
    }
  }

  /// nil: the child keeps the runtime's user (when the runtime is not root).
  public var identity: Identity?
  /// nil: the child sees the host's file system.
  public var root: Root?
  /// `cgroup.procs` files the child is moved into as it starts (it waits for
  /// the move before execve).
  public var cgroups: [String] = []
  /// cgroup v1: the child is born in these cgroups instead (no move): each the
  /// `tasks` file of a cgroup and of the forking thread's own cgroup in the same
  /// hierarchy (see `hermit_child_plan.birth_cgroup_fds`).
  public var birthCgroups: [CgroupBirth]?

  public struct CgroupBirth: Codable, Equatable, Sendable {
    public var tasks: String
    public var homeTasks: String
    public init(tasks: String, homeTasks: String) {
      self.tasks = tasks
      self.homeTasks = homeTasks
    }
  }
  /// `PR_SET_NO_NEW_PRIVS`.
  public var noNewPrivileges: Bool

  public init(
    identity: Identity? = nil, root: Root? = nil, noNewPrivileges: Bool = true
  ) {
    self.identity = identity
    self.root = root
    self.noNewPrivileges = noNewPrivileges
  }
}

#if canImport(Glibc)
  import Glibc
#endif

extension Confinement {
  /// Creates a FIFO (mode 0600) the confined child opens, owned by its user.
  public func createFIFO(_ path: String) throws(HermitQEMUError) {
    unlink(path)
    guard mkfifo(path, 0o600) == 0 else { throw .system(call: "mkfifo(\(path))", errno: errno) }
    let fd = open(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { throw .system(call: "open(\(path))", errno: errno) }
    defer { close(fd) }
    if let identity, fchown(fd, identity.uid, identity.gid) != 0 {
      throw .system(call: "fchown(\(path))", errno: errno)
    }
  }

  /// Creates (or truncates) a file the confined child writes, owned by its user.
  public func createFile(_ path: String) throws(HermitQEMUError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .system(call: "open(\(path))", errno: errno) }
    defer { close(fd) }
    if let identity, fchown(fd, identity.uid, identity.gid) != 0 {
      throw .system(call: "fchown(\(path))", errno: errno)
    }
  }
}
