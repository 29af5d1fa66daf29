import FoundationEssentials
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Linux containers handed to runc (issue 12).
///
/// With containerd's runc shim and `BinaryName = hermit-runtime`, every container
/// of a pod comes here, the pod's sandbox (`pause`, a Linux image) included. A
/// bundle whose rootfs has no `hermit/` directory is not a hermit image: `create`
/// runs runc (`$HERMIT_RUNC`, else `runc` from PATH) with the same arguments and
/// notes it in `<root>/<id>/runc.json`; every later call for that ID (`start`,
/// `state`, `kill`, `delete`, `ps`, and `list` for its row) goes to the same runc.
///
/// runc's state lives under `<root>/.runc` (its `--root`): apart from ours, since
/// both keep `<id>/state.json`, and no container ID can start with a dot.
struct RuncDelegate: Codable {
  /// runc's executable, as resolved at `create`.
  var runtime: String
  /// runc's `--root`.
  var root: String

  static let fileName = "runc.json"
  /// The hermit image marker every hermit rootfs has (loader, app, image.json).
  static let hermitDirectory = "hermit"

  /// True for a rootfs that is not a hermit image. (A rootfs with `hermit/` but a
  /// broken image.json stays ours, and fails with the reason.)
  static func isLinux(rootfs: URL) -> Bool {
    var info = stat()
    return lstat(rootfs.appendingPathComponent(hermitDirectory).path, &info) != 0
      && errno == ENOENT
  }

  /// `$HERMIT_RUNC`, else `runc` found in PATH.
  static func executable() throws -> String {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["HERMIT_RUNC"], !path.isEmpty {
      guard access(path, X_OK) == 0 else {
        throw RuntimeError.invalidArgument("HERMIT_RUNC=\(path) is not an executable")
      }
      return path
    }
    let directories = (environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin")
      .split(separator: ":")
    for directory in directories where access("\(directory)/runc", X_OK) == 0 {
      return "\(directory)/runc"
    }
    throw RuntimeError.invalidBundle(
      "the rootfs is not a hermit image and runc is not in PATH (set HERMIT_RUNC)")
  }

  /// The delegate of container `id` under the OCI root, if it is runc's.
  static func load(_ id: String, _ global: GlobalOptions) -> RuncDelegate? {
    guard let store = try? ContainerStore.forOCI(global), (try? ContainerStore.validate(id)) != nil,
      let data = try? Data(contentsOf: store.file(id, fileName))
    else { return nil }
    return try? JSONDecoder().decode(RuncDelegate.self, from: data)
  }

  /// `create`: reserves `id`, notes the delegate, runs runc with this command's
  /// arguments, and exits with runc's status (removing the note if runc failed;
  /// runc wrote its own error, to `--log` too).
  static func create(_ id: String, _ global: GlobalOptions) throws -> Never {
    let store = try ContainerStore.forOCI(global)
    let delegate = RuncDelegate(
      runtime: try executable(), root: store.root.appendingPathComponent(".runc").path)
    try store.reserve(id)
    do {
      try AtomicFile.write(
        JSONEncoder().encode(delegate), to: store.file(id, fileName), durability: .volatile)
    } catch {
      store.remove(id)
      throw RuntimeError.io(path: store.file(id, fileName).path, reason: "\(error)")
    }
    let status = delegate.run()
    if status != 0 { store.remove(id) }
    exit(status)
  }

  /// Any other command for a runc container: becomes runc (execv).
  static func forward(_ id: String, _ global: GlobalOptions) throws {
    guard let delegate = load(id, global) else { return }
    let argv = delegate.arguments(CommandLine.arguments)
    let cArguments = argv.map { strdup($0) } + [nil]
    execv(delegate.runtime, cArguments)
    throw RuntimeError.io(path: delegate.runtime, reason: String(cString: strerror(errno)))
  }

  /// `delete` of a runc container: runc deletes it, then its note goes.
  static func delete(_ id: String, _ global: GlobalOptions) -> Int32? {
    guard let delegate = load(id, global) else { return nil }
    let status = delegate.run()
    if status == 0 { (try? ContainerStore.forOCI(global))?.remove(id) }
    return status
  }

  /// runc's states of the containers delegated under the OCI root (for `list`).
  static func states(_ global: GlobalOptions) -> [State.OCIState] {
    guard let store = try? ContainerStore.forOCI(global) else { return [] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: store.root.path)) ?? []
    var roots: [String: String] = [:]
    for name in names.sorted() {
      if let delegate = load(name, global) { roots[delegate.root] = delegate.runtime }
    }
    var states: [State.OCIState] = []
    for (root, runtime) in roots.sorted(by: { $0.key < $1.key }) {
      let output = RuncDelegate(runtime: runtime, root: root).capture([
        "--root", root, "list", "--format", "json",
      ])
      let listed = (try? JSONDecoder().decode([State.OCIState]?.self, from: output)) ?? nil
      states += (listed ?? []).filter { load($0.id, global) != nil }
    }
    return states
  }

  /// `arguments` (this process's argv) for runc: the global options before the
  /// subcommand keep their place except `--root`, which becomes runc's.
  func arguments(_ arguments: [String]) -> [String] {
    var result = [runtime, "--root", root]
    var index = 1
    let valued: Set<String> = ["--log", "--log-format", "--criu", "--rootless"]
    while index < arguments.count, arguments[index].hasPrefix("-") {
      let argument = arguments[index]
      if argument == "--root" {
        index += 2
        continue
      }
      if !argument.hasPrefix("--root=") { result.append(argument) }
      if valued.contains(argument), index + 1 < arguments.count {
        result.append(arguments[index + 1])
        index += 1
      }
      index += 1
    }
    return result + arguments[min(index, arguments.count)...]
  }

  /// Runs runc with this process's arguments and stdio; returns its exit status.
  func run() -> Int32 {
    let pid = spawn(arguments(CommandLine.arguments), stdout: nil)
    return pid.map(Self.wait) ?? 125
  }

  /// Runs runc with `runcArguments`; returns its stdout, read from a pipe (no
  /// temporary file anyone could plant a link at).
  func capture(_ runcArguments: [String]) -> Data {
    guard let ends = try? ChildProcess.makePipe() else { return Data() }
    let pid = spawn([runtime] + runcArguments, stdout: ends.write)
    close(ends.write)
    defer { close(ends.read) }
    guard let pid else { return Data() }
    var output = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = read(ends.read, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      output.append(contentsOf: buffer[0..<count])
    }
    _ = Self.wait(pid)
    return output
  }

  /// posix_spawn: every descriptor is inherited (runc's container process gets our
  /// stdio, as if runc had been called directly); `stdout` replaces descriptor 1.
  private func spawn(_ argv: [String], stdout: Int32?) -> pid_t? {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, runtime, &actions, nil, cArguments, environ) == 0 else {
      StandardError.write(line: "hermit-runtime: cannot run \(runtime)")
      return nil
    }
    return pid
  }

  private static func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  }
}
