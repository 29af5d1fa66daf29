import ArgumentParser
import FoundationEssentials
import HermitOCI
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime run`: boot an image like `docker run`.
struct Run: ParsableCommand {
  // Its super command is named for `HermitRuntime.parseFast`, which parses `run`
  // as a root: usage lines then still read `hermit-runtime run`, and ArgumentParser
  // skips its two trial parses for `--generate-completion-script` (0.3 ms of every
  // boot), which only the real root answers.
  static let configuration = CommandConfiguration(
    commandName: "run",
    _superCommandName: "hermit-runtime",
    abstract: "Boot an image and stream its console; exit with the app's exit code.")

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Remove the container when it stops.")
  var rm = false

  @Flag(name: .shortAndLong, help: "Run in the background and print the container name.")
  var detach = false

  @Option(help: "Container name (default: a random one).")
  var name: String?

  @Option(
    name: [.customShort("p"), .customLong("publish")],
    help: "Forward [IP:]HOST:GUEST[/tcp|udp] (user networking).")
  var publish: [String] = []

  // .unconditional: `--cpus -1` is a bad value, not a missing one.
  @Option(parsing: .unconditional, help: "Virtual CPUs (default: the image's).")
  var cpus: Int?

  @Option(
    name: [.customShort("m"), .long], parsing: .unconditional,
    help: "Memory, e.g. 64M or 1G (default: the image's).")
  var memory: String?

  @Option(
    help: """
      Network: user, tap (a new tap on bridge $HERMIT_BRIDGE or hermit0), tap:IFNAME (an \
      existing tap), or none (default: user if -p is given, else none).
      """)
  var net: String?

  @Option(
    help: """
      NIC model: virtio (virtio-net on its default transport, virtio-mmio on microvm) \
      or rtl8139 (pc, PCI). virtio-mmio or virtio-pci (microvm with PCIe) pick \
      virtio-net's transport.
      """)
  var nic: String = "virtio"

  @Option(help: "Accelerator: auto, kvm or tcg.")
  var accel: AcceleratorChoice = .auto

  @Option(
    name: [.customShort("e"), .customLong("env")], help: "Set K=V, or pass the host's K with -e K.")
  var env: [String] = []

  @Flag(name: .shortAndLong, help: "Quiet kernel: only the app's output.")
  var quiet = false

  @Flag(help: "Run QEMU without its seccomp sandbox (for debugging).")
  var privileged = false

  @Argument(help: "Layout tarball, rootfs directory, or stored image reference.")
  var image: String

  /// Everything after the image is the app's, flags included, as in `docker run`;
  /// a `--` right after the image is dropped (`run IMAGE -- -x` still works).
  @Argument(
    parsing: .captureForPassthrough,
    help: "Arguments for the app: everything after the image (a leading -- is dropped).")
  var arguments: [String] = []

  /// The app's arguments as given, without the optional `--` separator.
  var appArguments: [String] {
    arguments.first == "--" ? Array(arguments.dropFirst()) : arguments
  }

  func run() throws {
    // What confining QEMU needs of the host, gathered meanwhile (RunPrefetch).
    let prefetch =
      privileged || detach || geteuid() != 0 ? nil : RunPrefetch.take(qemu: VMRunner.qemu)
    let store = try ContainerStore.forRun(global)
    var plan = try makePlan()
    let id = name ?? Self.randomName()
    // Everything that can be refused is checked before anything boots.
    for port in plan.network.portsToCheck { try port.checkAvailable() }
    guard ChildProcess.resolveExecutable(VMRunner.qemu) != nil else {
      throw RuntimeError.qemu(.qemuNotFound(VMRunner.qemu))
    }
    try store.reserve(id)
    var record: ContainerRecord
    var tap: TapDevice?
    do {
      if case .tap(let name) = plan.network, name.isEmpty {
        tap = try TapDevice.create(for: id)
        plan.network = .tap(name: tap!.name)
      }
      var vm = try plan.configuration(name: id, statusFile: store.file(id, "status").path)
      if privileged { vm.privileged = true }
      record = ContainerRecord(
        id: id, kind: .run, image: image, bundle: plan.image.rootfs, created: Date(), vm: vm,
        autoRemove: rm, annotations: [:])
      record.createdTap = tap?.name
      // Every container keeps a log, as docker's do: the shim's stdout for -d,
      // QEMU's own copy of the console otherwise (`logs` works after a foreground run).
      record.logPath = store.file(id, "console.log").path
      if detach {
        try store.save(record)
      } else {
        record.vm.consoleLog = record.logPath
        // This process owns the VM. The record is written while QEMU boots
        // (VMRunner's onStart), not before: it is on the critical path otherwise.
        record.pid = getpid()
        record.pidStartTime = ProcessIdentity.startTime(getpid())
        record.started = Date()
      }
    } catch {
      tap?.remove()
      store.remove(id)
      throw error
    }
    if detach {
      try startDetached(record, in: store, tcpPorts: plan.network.tcpHostPorts)
      print(id)
      return
    }
    let code: Int32
    defer { tap?.remove() }
    do {
      code = try VMRunner.run(record, in: store, saveFirst: true, prefetched: prefetch?.value())
        .exitCode
    } catch {
      store.remove(id)
      throw error
    }
    throw ExitCode(code)
  }

  /// How long `run -d` waits for QEMU to listen on the published ports. QEMU sets
  /// them up before the VM starts, in well under a second even under TCG; past
  /// this, a slow host is assumed and the run returns all the same.
  static let startTimeout: Duration = .seconds(5)

  /// Starts the shim of a detached container and returns once QEMU runs and
  /// listens on `tcpPorts` (StartReport). A container that ends in a runtime error
  /// meanwhile (QEMU could not forward a port) is the run's error, printed as a
  /// foreground run prints it, and leaves nothing behind, as a refused port does.
  private func startDetached(
    _ record: ContainerRecord, in store: ContainerStore, tcpPorts: Set<Int>
  ) throws {
    let pipe = try ChildProcess.makePipe()
    defer { close(pipe.read) }
    do {
      try Shim.launch(id: record.id, store: store, logPath: record.logPath, report: pipe.write)
      close(pipe.write)
    } catch {
      close(pipe.write)
      throw error
    }
    let outcome = StartReport.wait(pipe.read, tcpPorts: tcpPorts, timeout: Self.startTimeout)
    guard case .ended(let failure?) = outcome else { return }
    // The shim has exited (end of file), its tap and record work done.
    store.remove(record.id)
    StandardError.write(line: failure)
    throw ExitCode(125)
  }

  /// Image + flags → plan (flags win over the image's metadata).
  func makePlan() throws -> LaunchPlan {
    // Flags first: refused before any work.
    let memoryMiB = try memory.map { try MemorySize.parseMiB($0) }
    let environment = try EnvironmentFlag.resolve(env, host: ProcessInfo.processInfo.environment)
    guard let model = VMConfiguration.NIC(rawValue: nic) else {
      throw RuntimeError.invalidArgument(
        "unknown --nic \(nic) (virtio or rtl8139); virtio-mmio and virtio-pci pick virtio's transport"
      )
    }
    let prepared = try ImageCache(root: ImageCache.defaultRoot()).prepare(image)
    var plan = LaunchPlan(image: prepared, metadata: try prepared.metadata())
    plan.arguments = appArguments.isEmpty ? nil : appArguments
    plan.environment = environment
    plan.cpus = cpus
    plan.memoryMiB = memoryMiB
    plan.quiet = quiet
    let ports = try publish.map { try PortMapping(parsing: $0) }
    plan.nic = model
    switch net {
    case nil: plan.network = ports.isEmpty ? .none : .user(ports: ports)
    case "user": plan.network = .user(ports: ports)
    case "none":
      guard ports.isEmpty else { throw RuntimeError.invalidArgument("-p needs --net user") }
      plan.network = .none
    case "tap":
      guard ports.isEmpty else { throw RuntimeError.invalidArgument("-p needs --net user") }
      // The tap itself is created once the name is reserved (see run()).
      plan.network = .tap(name: "")
    case let value? where value.hasPrefix("tap:"):
      guard ports.isEmpty else { throw RuntimeError.invalidArgument("-p needs --net user") }
      let name = String(value.dropFirst(4))
      // A Linux interface name (IFNAMSIZ - 1 bytes) of plain characters: nothing
      // that could carry `,` or `=` into QEMU's -netdev option.
      guard (1...15).contains(name.utf8.count),
        name.utf8.allSatisfy({
          (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        })
      else {
        throw RuntimeError.invalidArgument(
          "invalid tap name \(Sanitized.quoted(name)) in --net: use 1 to 15 of [A-Za-z0-9_.-]")
      }
      plan.network = .tap(name: name)
    case let value?:
      throw RuntimeError.invalidArgument("unknown --net \(value) (user, tap[:IFNAME] or none)")
    }
    let cacheDirectory = ImageCache.defaultRoot()
    plan.accelerator = try AcceleratorProbe(cacheDirectory: cacheDirectory, qemu: VMRunner.qemu)
      .resolve(accel)
    return plan
  }

  /// A docker-like random name: `hermit-` and 8 hex digits.
  static func randomName() -> String {
    let value = UInt32.random(in: 0...UInt32.max)
    let hex = String(value, radix: 16)
    return "hermit-" + String(repeating: "0", count: 8 - hex.count) + hex
  }
}

extension VMConfiguration.Network {
  /// Host ports to check before booting.
  var portsToCheck: [PortMapping] {
    if case .user(let ports) = self { return ports }
    return []
  }

  /// Host ports of the TCP forwards, which `run -d` waits for QEMU to listen on.
  var tcpHostPorts: Set<Int> {
    Set(portsToCheck.filter { $0.proto == .tcp }.map(\.hostPort))
  }
}

extension AcceleratorChoice: ExpressibleByArgument {}
