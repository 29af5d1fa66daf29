import CHermitSys

#if canImport(Glibc)
  import Glibc
#endif

/// Starting a child that cannot outlive its parent.
///
/// Foundation.Process and posix_spawn cannot set `PR_SET_PDEATHSIG`, so this forks
/// and, in the child, sets the parent-death signal to SIGKILL before `execve`. The
/// signal survives `execve` (it is only cleared for set-uid binaries), so QEMU is
/// killed by the kernel whenever the thread that forked it dies, including on
/// `kill -9` of the runtime.
///
/// Between `fork` and `execve` the child runs only async-signal-safe system calls on
/// memory prepared before the fork: the runtime is multi-threaded, and a lock held
/// by another thread at fork time (malloc's, for one) would never be released in
/// the child.
public enum ChildProcess {
  /// What to do with one of the child's standard descriptors.
  public enum Stdio: Sendable {
    /// Keep the parent's descriptor.
    case inherit
    /// Use this descriptor (dup2'ed onto 0, 1 or 2).
    case fd(Int32)
    /// `/dev/null`.
    case null
  }

  /// Options for `spawn`.
  public struct Options: Sendable {
    public var stdin: Stdio = .null
    public var stdout: Stdio = .inherit
    public var stderr: Stdio = .inherit
    /// Kill the child with SIGKILL when the forking thread dies.
    public var dieWithParent = true
    /// Put the child in its own process group, so a terminal's Ctrl-C reaches only
    /// the runtime, which then stops the VM in order.
    public var newProcessGroup = true
    /// Start a new session instead (detached shims); implies a new process group.
    public var newSession = false
    /// Join this network namespace (a path such as /run/netns/X) before exec.
    public var networkNamespace: String?
    /// Attach to this tap device (in that namespace) and pass it on as the
    /// descriptor after `passDescriptors`, i.e. `3 + passDescriptors.count`.
    public var tapDevice: String?
    /// Descriptors the child gets as 3, 4, ...; nothing else is inherited.
    public var passDescriptors: [Int32] = []
    /// False: the child's environment is `environment` alone, nothing of ours.
    public var inheritsEnvironment = true
    /// Cgroups, new root, identity, no_new_privs (nil: none of them).
    public var confinement: Confinement?
    public init() {}
  }

  /// A pipe whose ends are close-on-exec (glibc's pipe2 is not visible to Swift
  /// without _GNU_SOURCE).
  public static func makePipe() throws(HermitQEMUError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw .system(call: "pipe", errno: errno) }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
  }

  /// Looks `name` up in PATH (or returns it if it contains a slash).
  public static func resolveExecutable(_ name: String) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = "\(directory)/\(name)"
      if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
  }

  /// Forks and executes `path` with `argv` (argv[0] included) and the current
  /// environment plus `environment` overrides (or `environment` alone, see
  /// `Options.inheritsEnvironment`). Returns once the child has called execve.
  /// - Returns: the child's pid.
  /// - Throws: `.childSetup` naming the step that failed in the child, or
  ///   `.system` for fork and the files opened here.
  public static func spawn(
    path: String, argv: [String], environment: [String: String] = [:], options: Options = Options()
  ) throws(HermitQEMUError) -> pid_t {
    // Everything the child touches is allocated here, before fork, and freed
    // when this returns.
    var strings = CStrings()
    defer { strings.free() }
    var opened: [Int32] = []
    defer { opened.forEach { _ = close($0) } }
    func openFile(_ path: String, _ flags: Int32) throws(HermitQEMUError) -> Int32 {
      let fd = open(path, flags | O_CLOEXEC)
      guard fd >= 0 else { throw .system(call: "open(\(path))", errno: errno) }
      opened.append(fd)
      return fd
    }

    var envList: [String] = []
    if options.inheritsEnvironment {
      var index = 0
      while let entry = environ[index] {
        let text = String(cString: entry)
        if environment[String(text.prefix { $0 != "=" })] == nil { envList.append(text) }
        index += 1
      }
    }
    envList += environment.map { "\($0.key)=\($0.value)" }.sorted()
    let cArgv = strings.array(argv)
    let cEnv = strings.array(envList)

    let devNull = try openFile("/dev/null", O_RDWR)
    func target(_ stdio: Stdio) -> Int32 {
      switch stdio {
      case .inherit: return -1
      case .fd(let fd): return fd
      case .null: return devNull
      }
    }
    let netns = try options.networkNamespace.map { path throws(HermitQEMUError) in
      try openFile(path, O_RDONLY)
    }
    let confinement = options.confinement

    var cgroupFDs: [Int32] = []
    for file in confinement?.cgroups ?? [] { cgroupFDs.append(try openFile(file, O_WRONLY)) }
    // The births' `tasks` files, then their homes'.
    let births = confinement?.birthCgroups ?? []
    var birthFDs: [Int32] = []
    for file in births.map(\.tasks) + births.map(\.homeTasks) {
      birthFDs.append(try openFile(file, O_WRONLY))
    }
    let root = confinement?.root
    let mountPoint = root?.mountPoint ?? ""
    let leaves = Set((root?.files.map(\.path) ?? []) + (root?.devices.map(\.path) ?? []))
    let directoryList = (root?.paths ?? []).filter { !leaves.contains($0) }.map { mountPoint + $0 }
    let directories = strings.array(directoryList)
    var binds = (root?.files ?? []).map {
      hermit_bind(
        source: strings.make($0.source), target: strings.make(mountPoint + $0.path),
        writable: $0.writable ? 1 : 0, same_as_fd: $0.sameAsDescriptor ?? -1)
    }
    var devices = (root?.devices ?? []).map {
      hermit_device(
        target: strings.make(mountPoint + $0.path), major: $0.major, minor: $0.minor,
        mode: $0.mode)
    }
    let identity = confinement?.identity
    var groups = (identity?.groups ?? []).map { gid_t($0) }
    var passFDs = options.passDescriptors

    var plan = hermit_child_plan()
    plan.path = UnsafePointer(strings.make(path))
    plan.argv = UnsafePointer(cArgv)
    plan.envp = UnsafePointer(cEnv)
    plan.stdio = (target(options.stdin), target(options.stdout), target(options.stderr))
    plan.die_with_parent = options.dieWithParent ? 1 : 0
    plan.parent = getpid()
    plan.new_session = options.newSession ? 1 : 0
    plan.new_process_group = options.newProcessGroup ? 1 : 0
    plan.netns_fd = netns ?? -1
    plan.tap_name = options.tapDevice.map { UnsafePointer(strings.make($0)) }
    plan.root = root.map { _ in UnsafePointer(strings.make(mountPoint)) }
    plan.change_identity = identity == nil ? 0 : 1
    plan.uid = identity?.uid ?? 0
    plan.gid = identity?.gid ?? 0
    plan.keep_net_bind_service = identity?.keepsNetBindService == true ? 1 : 0
    plan.no_new_privs = confinement?.noNewPrivileges == true ? 1 : 0

    var step: Int32 = 0
    var failure: Int32 = 0
    let pid = passFDs.withUnsafeMutableBufferPointer { passBuffer in
      cgroupFDs.withUnsafeMutableBufferPointer { cgroupBuffer in
        birthFDs.withUnsafeMutableBufferPointer { birthBuffer in
          binds.withUnsafeMutableBufferPointer { bindBuffer in
            devices.withUnsafeMutableBufferPointer { deviceBuffer in
              groups.withUnsafeMutableBufferPointer { groupBuffer in
                plan.cgroup_fds = UnsafePointer(cgroupBuffer.baseAddress)
                plan.cgroup_fd_count = Int32(cgroupBuffer.count)
                plan.birth_cgroup_fds = UnsafePointer(birthBuffer.baseAddress)
                plan.home_cgroup_fds = UnsafePointer(
                  birthBuffer.baseAddress.map { $0 + births.count })
                plan.birth_cgroup_count = Int32(births.count)
                plan.pass_fds = UnsafePointer(passBuffer.baseAddress)
                plan.pass_fd_count = Int32(passBuffer.count)
                plan.binds = UnsafePointer(bindBuffer.baseAddress)
                plan.bind_count = Int32(bindBuffer.count)
                plan.devices = UnsafePointer(deviceBuffer.baseAddress)
                plan.device_count = Int32(deviceBuffer.count)
                plan.groups = UnsafePointer(groupBuffer.baseAddress)
                plan.group_count = Int32(groupBuffer.count)
                plan.directories = UnsafeRawPointer(directories).assumingMemoryBound(
                  to: UnsafePointer<CChar>?.self)
                plan.directory_count = Int32(directoryList.count)
                return hermit_spawn(&plan, &step, &failure)
              }
            }
          }
        }
      }
    }
    if pid < 0 {
      if step == 0 { throw .system(call: "fork", errno: errno) }
      throw .childSetup(step: ChildStep(step).name, path: path, errno: failure)
    }
    return pid
  }
}

/// The step of `hermit_spawn`'s child that failed, by name.
struct ChildStep {
  var name: String
  init(_ raw: Int32) {
    let names: [UInt32: String] = [
      HERMIT_STEP_PDEATHSIG.rawValue: "prctl(PR_SET_PDEATHSIG)",
      HERMIT_STEP_SETNS.rawValue: "setns (network namespace)",
      HERMIT_STEP_TAP.rawValue: "opening the tap device",
      HERMIT_STEP_CGROUP.rawValue: "moving it into its cgroup",
      HERMIT_STEP_UNSHARE.rawValue: "unshare (mount namespace)",
      HERMIT_STEP_MOUNT.rawValue: "mounting the new root",
      HERMIT_STEP_BIND.rawValue: "bind-mounting a file into the new root",
      HERMIT_STEP_DEVICE.rawValue: "creating a device node",
      HERMIT_STEP_PIVOT.rawValue: "pivot_root",
      HERMIT_STEP_DESCRIPTORS.rawValue: "arranging descriptors",
      HERMIT_STEP_GROUPS.rawValue: "setting groups",
      HERMIT_STEP_CAPABILITIES.rawValue: "dropping capabilities",
      HERMIT_STEP_UID.rawValue: "setting the user",
      HERMIT_STEP_NO_NEW_PRIVS.rawValue: "prctl(PR_SET_NO_NEW_PRIVS)",
      HERMIT_STEP_EXEC.rawValue: "execve",
    ]
    name = names[UInt32(raw)] ?? "step \(raw)"
  }
}

/// C strings (and NULL-terminated arrays of them) that live until `free`.
struct CStrings {
  private var allocations: [UnsafeMutableRawPointer] = []

  mutating func make(_ string: String) -> UnsafeMutablePointer<CChar> {
    let pointer = strdup(string)!
    allocations.append(pointer)
    return pointer
  }

  /// A NULL-terminated `char *[]`.
  mutating func array(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
    let pointer = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(
      capacity: strings.count + 1)
    for (index, string) in strings.enumerated() { pointer[index] = make(string) }
    pointer[strings.count] = nil
    allocations.append(UnsafeMutableRawPointer(pointer))
    return pointer
  }

  mutating func free() {
    for pointer in allocations { Glibc.free(pointer) }
    allocations = []
  }
}
