import BootFormat
import Foundation
import HermitOCI
import HermitQEMU

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
  var accelerator: Accelerator = .tcg
  var quiet = false
  var ip: String?
  var gateway: String?

  /// The app's argv without argv[0]: Entrypoint + (arguments or Cmd), minus the
  /// app path itself (`/hermit/app`), which the kernel supplies as argv[0].
  var appArguments: [String] {
    var full = image.entrypoint + (arguments ?? image.cmd)
    if let first = full.first, Self.isAppPath(first, metadata: metadata) { full.removeFirst() }
    return full
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
    for path in [loader, app] where !FileManager.default.fileExists(atPath: path) {
      throw RuntimeError.qemu(.missingFile(path))
    }
    let cpus = cpus ?? metadata.cpus
    guard (1...255).contains(cpus) else { throw RuntimeError.qemu(.invalidCPUCount(cpus)) }
    let options = KernelOptions(
      quiet: quiet, environment: mergedEnvironment, ip: ip, gateway: gateway, name: nil)
    return VMConfiguration(
      name: name, loader: loader, app: app,
      commandLine: KernelCommandLine.encode(options, arguments: appArguments),
      cpus: cpus, memoryMiB: memoryMiB ?? metadata.memoryMiB, accelerator: accelerator,
      network: network, statusFile: statusFile)
  }
}
