import BootFormat
import FoundationEssentials
import HermitOCI
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Merges an image's metadata and config with the user's flags (flags win) into a
/// `VMConfiguration`.
struct LaunchPlan {
  var image: PreparedImage
  var metadata: HermitMetadata
  /// The app's arguments from the command line; nil keeps the image's Cmd.
  var arguments: [String]?
  /// Extra environment (`-e K=V`, config.json env); overrides the image's by key.
  var environment: [String] = []
  var cpus: Int?
  var memoryMiB: Int?
  var network: VMConfiguration.Network = .none
  /// The NIC model when there is a network (rtl8139 means `-M pc`).
  var nic: VMConfiguration.NIC = .virtio
  var accelerator: Accelerator = .tcg
  var quiet = false
  /// Static addressing for the guest (`ip=`, `gateway=`, `dns=`): a network
  /// namespace's; in user mode, when nil, QEMU's (`VMConfiguration.UserNetwork`).
  var ip: String?
  var gateway: String?
  var dns: String?

  /// The app's argv without argv[0]: Entrypoint + (arguments or Cmd), minus the
  /// app path itself (`/hermit/app`), which the kernel supplies as argv[0].
  var appArguments: [String] {
    var full = image.entrypoint + (arguments ?? image.cmd)
    if let first = full.first, Self.isAppPath(first, metadata: metadata) { full.removeFirst() }
    return full
  }

  /// The host's physical RAM in MiB, if the system says.
  static var hostMemoryMiB: Int? {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let pageSize = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, pageSize > 0 else { return nil }
    return pages.multipliedReportingOverflow(by: pageSize).overflow ? nil : (pages * pageSize) >> 20
  }

  /// `2048` → `2G`, `96` → `96M`.
  static func shown(mib: Int) -> String {
    mib % 1024 == 0 ? "\(mib / 1024)G" : "\(mib)M"
  }

  static func isAppPath(_ path: String, metadata: HermitMetadata) -> Bool {
    let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
    return trimmed == metadata.app || trimmed == "hermit/app"
  }

  /// Image environment overridden by `environment`, keeping first-seen order.
  var mergedEnvironment: [String] {
    var order: [String] = []
    var values: [String: String] = [:]
    for entry in image.env + environment {
      let key = String(entry.prefix { $0 != "=" })
      if values[key] == nil { order.append(key) }
      values[key] = entry
    }
    return order.compactMap { values[$0] }
  }

  /// The VM for container `name`, whose status record goes to `statusFile`.
  func configuration(name: String, statusFile: String) throws -> VMConfiguration {
    let rootfs = URL(fileURLWithPath: image.rootfs)
    let loader = rootfs.appendingPathComponent(metadata.loader).path
    let app = rootfs.appendingPathComponent(metadata.app).path
    // Both must be regular files inside the rootfs (no symbolic link out of it:
    // issue 21); QEMUConfinement opens them again the same way to hand them over.
    for path in [metadata.loader, metadata.app] {
      do {
        _ = try RootedFile(path, in: rootfs.path)
      } catch  where error.errno == ENOENT {
        throw RuntimeError.qemu(.missingFile(rootfs.appendingPathComponent(path).path))
      } catch {
        throw RuntimeError.wrap(error)
      }
    }
    let cpus = cpus ?? metadata.cpus
    guard (1...255).contains(cpus) else { throw RuntimeError.qemu(.invalidCPUCount(cpus)) }
    let memoryMiB = memoryMiB ?? metadata.memoryMiB
    // QEMU would print its own "cannot set up guest memory" line before ours.
    if let hostMiB = Self.hostMemoryMiB, memoryMiB > hostMiB {
      throw RuntimeError.invalidArgument(
        "memory \(Self.shown(mib: memoryMiB)) is more than this host's \(hostMiB)M of RAM")
    }
    // The environment goes through fw_cfg, never the command line (issue 21).
    var options = KernelOptions(quiet: quiet, ip: ip, gateway: gateway, dns: dns, name: nil)
    if case .user = network, ip == nil {
      options.ip = VMConfiguration.UserNetwork.guest
      options.gateway = VMConfiguration.UserNetwork.gateway
      options.dns = VMConfiguration.UserNetwork.dns
    }
    var vm = VMConfiguration(
      name: name, loader: loader, app: app,
      commandLine: KernelCommandLine.encode(options, arguments: appArguments),
      cpus: cpus, memoryMiB: memoryMiB, accelerator: accelerator,
      network: network, nic: nic, statusFile: statusFile)
    vm.imageRoot = rootfs.path
    let environment = mergedEnvironment
    vm.environment = environment.isEmpty ? nil : environment
    return vm
  }
}
