import ArgumentParser
import FoundationEssentials
import HermitOCI
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// OCI `create --bundle B [--pid-file P] [--console-socket S] ID`.
///
/// Starts the container's process — the shim that will own the VM — held back on
/// `exec.fifo` until `start`, as a child of this command (conmon and containerd's
/// shim are subreapers and adopt it when this command exits). Its pid goes to
/// `--pid-file`; its exit status becomes the container's exit code.
struct Create: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create", abstract: "OCI: create a container from a bundle.")

  @OptionGroup var global: GlobalOptions

  @Option(name: .shortAndLong, help: "Bundle directory (default: current directory).")
  var bundle: String = "."

  @Option(help: "Write the container process's pid here.")
  var pidFile: String?

  @Option(help: "Unix socket to send the console's pty master to (process.terminal).")
  var consoleSocket: String?

  @Flag(help: .hidden) var noPivot = false
  @Flag(help: .hidden) var noNewKeyring = false

  @Argument var id: String

  func run() throws {
    let store = try ContainerStore.forOCI(global)
    try store.makeRoot()  // before the accelerator probe caches its answer there
    let bundleURL = URL(fileURLWithPath: bundle).standardizedFileURL
    let ociBundle = try OCIBundle(directory: bundleURL)
    let rootfs = ociBundle.rootfs
    // A Linux container (a pod's pause sandbox) is runc's.
    if RuncDelegate.isLinux(rootfs: rootfs) { try RuncDelegate.create(id, global) }
    let hooks = ociBundle.config.hooks.flatMap { $0.isEmpty ? nil : $0 }
    try hooks?.validate()
    let metadata = try HermitMetadata.loadOrDefaults(fromRootfs: rootfs)
    let prepared = PreparedImage(
      reference: rootfs.path, manifestDigest: nil, rootfs: rootfs.path, entrypoint: [], cmd: [],
      env: [])
    var plan = LaunchPlan(image: prepared, metadata: metadata)
    // process.args[0] is the entrypoint (/hermit/app): LaunchPlan drops it.
    plan.arguments = ociBundle.config.process?.args ?? []
    plan.environment = ociBundle.config.process?.env ?? []
    // podman's --memory, --cpus and --cpuset-cpus size the VM (linux.resources).
    plan.memoryMiB = try ociBundle.memoryMiB()
    plan.cpus = try ociBundle.cpus()
    plan.accelerator = try AcceleratorProbe(
      cacheDirectory: store.root.appendingPathComponent("cache"), qemu: VMRunner.qemu
    ).resolve(.auto)
    var joinsNamespace = true
    if let namespace = ociBundle.networkNamespace {
      switch try NetworkNamespace(path: namespace).setUp(for: id, in: store) {
      case .wired(let addressing):
        plan.network = .tap(name: NetworkNamespace.tapName)
        plan.ip = addressing.address
        plan.gateway = addressing.gateway
        plan.dns = ociBundle.dnsServer
      case .noAddress:
        break
      case .refused(let reason):
        // Never a bridge over an interface that is not the container's own. QEMU
        // still joins the namespace if it can (its user networking then leaves
        // from there); one it cannot open (process 1's here) it leaves alone.
        plan.network = .user(ports: [])
        if !NetworkNamespace(path: namespace).isJoinable { joinsNamespace = false }
        StandardError.write(
          line: "hermit-runtime: network namespace \(namespace) left untouched, \(reason); "
            + "the guest gets user networking")
      }
    }
    try store.reserve(id)
    var shim: Int32?
    do {
      let vm = try plan.configuration(name: id, statusFile: store.file(id, "status").path)
      var record = ContainerRecord(
        id: id, kind: .oci, image: rootfs.path, bundle: bundleURL.path, created: Date(), vm: vm,
        autoRemove: false, annotations: ociBundle.config.annotations ?? [:])
      record.networkNamespace = joinsNamespace ? ociBundle.networkNamespace : nil
      record.cgroupsPath = ociBundle.config.linux?.cgroupsPath
      record.hooks = hooks
      try store.save(record)
      guard mkfifo(store.file(id, "exec.fifo").path, 0o600) == 0 else {
        throw RuntimeError.io(
          path: store.file(id, "exec.fifo").path, reason: String(cString: strerror(errno)))
      }
      var console: Console?
      if let consoleSocket { console = try Console.open(sendingMasterTo: consoleSocket) }
      let pid = try Shim.launch(
        id: id, store: store, logPath: nil, waitForStart: true, stdio: console?.replicaFD)
      shim = pid
      console?.close()
      // The shim, and QEMU after it, in the cgroup the bundle names (the pod's).
      do {
        if let placement = CgroupPlacement(record.cgroupsPath) {
          try placement.join(pid)
          // QEMU's limits in that cgroup (issue 13): the guest's RAM plus QEMU's
          // overhead, and --pids-limit when given.
          let pids = ociBundle.config.linux?.resources?.pids?.limit.flatMap {
            $0 > 0 ? Int($0) : nil
          }
          let limits = try QEMUCgroup.limit(
            placement, memoryLimit: UInt64(vm.memoryMiB) << 20 + QEMUCgroup.overheadBytes,
            pidsLimit: pids ?? QEMUCgroup.pidsLimit(cpus: vm.cpus))
          if let limits {
            try store.update(id) { $0.confinement = ConfinementReport(cgroup: limits) }
          }
        }
      } catch {
        StandardError.write(
          line: "hermit-runtime: cgroup \(record.cgroupsPath ?? "") not joined: \(error)")
      }
      // The container's process exists (held back): the create hooks run now,
      // with its pid in the state.
      if let hooks {
        let state = State.state(of: (try? store.load(id)) ?? record)
        for kind in [OCIHooks.Kind.prestart, .createRuntime, .createContainer] {
          try hooks.run(kind, state: state)
        }
      }
      if let pidFile {
        // A temporary file made with O_EXCL beside it, renamed over it.
        try AtomicFile.write(
          Data("\(pid)".utf8), to: URL(fileURLWithPath: pidFile), durability: .volatile)
      }
    } catch {
      // The shim waits on exec.fifo for a `start` that will not come.
      let record = try? store.load(id)
      if let shim {
        kill(shim, SIGKILL)
        var status: Int32 = 0
        while waitpid(shim, &status, 0) < 0 && errno == EINTR {}
      }
      CgroupPlacement(ociBundle.config.linux?.cgroupsPath)?.remove()
      store.remove(id)
      // runtime.md: a failed create hook stops the container and the lifecycle
      // goes on with its destruction, then poststop (as runc's does).
      if shim != nil, let hooks, let record {
        hooks.runWarning(.poststop, state: State.state(of: record))
      }
      throw error
    }
  }
}
