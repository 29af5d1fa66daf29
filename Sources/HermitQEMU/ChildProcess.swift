#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
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
    public init() {}
  }

  /// `prctl` is variadic in C, which Swift does not import; on x86_64 and arm64
  /// calling it with five integer arguments is ABI-compatible.
  private typealias PrctlFunction = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
  private static let prSetPdeathsig: Int32 = 1  // <linux/prctl.h> PR_SET_PDEATHSIG
  /// `close_range(2)` (Linux 5.9, glibc 2.34), looked up at run time.
  private typealias CloseRangeFunction = @convention(c) (UInt32, UInt32, Int32) -> Int32
  /// `setns` needs _GNU_SOURCE, which Swift's Glibc module does not define.
  private typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32
  private static let cloneNewNet: Int32 = 0x4000_0000  // <sched.h> CLONE_NEWNET

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
  /// environment plus `environment` overrides.
  /// - Returns: the child's pid.
  public static func spawn(
    path: String, argv: [String], environment: [String: String] = [:], options: Options = Options()
  ) throws(HermitQEMUError) -> pid_t {
    // Everything the child touches is allocated here, before fork.
    guard let symbol = dlsym(nil, "prctl") else {
      throw .system(call: "dlsym(prctl)", errno: ENOSYS)
    }
    let prctl = unsafeBitCast(symbol, to: PrctlFunction.self)
    var netnsFD: Int32 = -1
    var setns: SetnsFunction?
    if let namespace = options.networkNamespace {
      guard let symbol = dlsym(nil, "setns") else {
        throw .system(call: "dlsym(setns)", errno: ENOSYS)
      }
      setns = unsafeBitCast(symbol, to: SetnsFunction.self)
      netnsFD = open(namespace, O_RDONLY | O_CLOEXEC)
      guard netnsFD >= 0 else { throw .system(call: "open(\(namespace))", errno: errno) }
    }
    defer { if netnsFD >= 0 { close(netnsFD) } }
    let cPath = strdup(path)!
    var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    var envList: [String] = []
    var index = 0
    while let entry = environ[index] {
      let text = String(cString: entry)
      let key = String(text.prefix { $0 != "=" })
      if environment[key] == nil { envList.append(text) }
      index += 1
    }
    envList += environment.map { "\($0.key)=\($0.value)" }
    var cEnv: [UnsafeMutablePointer<CChar>?] = envList.map { strdup($0) } + [nil]
    defer {
      free(cPath)
      cArgv.forEach { free($0) }
      cEnv.forEach { free($0) }
    }
    let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
    defer { if devNull >= 0 { close(devNull) } }
    func target(_ stdio: Stdio) -> Int32 {
      switch stdio {
      case .inherit: return -1
      case .fd(let fd): return fd
      case .null: return devNull
      }
    }
    let fds = (target(options.stdin), target(options.stdout), target(options.stderr))
    let closeRange = dlsym(nil, "close_range").map {
      unsafeBitCast($0, to: CloseRangeFunction.self)
    }
    let parent = getpid()
    let signalsToReset: [Int32] = [
      SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2,
    ]
    var emptySet = sigset_t()
    sigemptyset(&emptySet)

    let pid = cArgv.withUnsafeMutableBufferPointer { argvBuffer in
      cEnv.withUnsafeMutableBufferPointer { envBuffer in
        signalsToReset.withUnsafeBufferPointer { signals in
          let pid = fork()
          if pid != 0 { return pid }
          // Child: async-signal-safe calls only from here on.
          for signal in signals { _ = Glibc.signal(signal, SIG_DFL) }
          _ = sigprocmask(SIG_SETMASK, &emptySet, nil)
          if options.dieWithParent {
            _ = prctl(prSetPdeathsig, UInt(SIGKILL), 0, 0, 0)
            // The parent may have died before prctl: then nobody would kill us.
            if getppid() != parent { _exit(127) }
          }
          if let setns, setns(netnsFD, cloneNewNet) != 0 { _exit(126) }
          if options.newSession {
            _ = setsid()
          } else if options.newProcessGroup {
            _ = setpgid(0, 0)
          }
          if fds.0 >= 0 { _ = dup2(fds.0, 0) }
          if fds.1 >= 0 { _ = dup2(fds.1, 1) }
          if fds.2 >= 0 { _ = dup2(fds.2, 2) }
          // Inherit nothing but stdio. Descriptors a parent leaves open on purpose
          // (Foundation.Process's own monitoring socket, a caller's pipes) would
          // otherwise live as long as the VM and keep the caller waiting for EOF.
          if closeRange?(3, UInt32.max, 0) != 0 {
            for fd in Int32(3)..<4096 { _ = close(fd) }
          }
          _ = execve(cPath, argvBuffer.baseAddress!, envBuffer.baseAddress!)
          _exit(127)
        }
      }
    }
    if pid < 0 { throw .system(call: "fork", errno: errno) }
    return pid
  }
}
