import Foundation

/// The parts of an OCI bundle's config.json (runtime-spec config.md) a hermit
/// container uses. Everything else (mounts, cgroups, capabilities) has no meaning
/// for a VM and is ignored.
struct OCIBundle {
  struct Config: Decodable {
    struct Process: Decodable {
      var terminal: Bool?
      var args: [String]?
      var env: [String]?
    }
    struct Root: Decodable {
      var path: String
    }
    struct Linux: Decodable {
      struct Namespace: Decodable {
        var type: String
        var path: String?
      }
      var namespaces: [Namespace]?
    }
    var ociVersion: String?
    var process: Process?
    var root: Root?
    var hostname: String?
    var annotations: [String: String]?
    var linux: Linux?
  }

  let directory: URL
  let config: Config

  init(directory: URL) throws {
    self.directory = directory
    let url = directory.appendingPathComponent("config.json")
    guard let data = try? Data(contentsOf: url) else {
      throw RuntimeError.invalidBundle("\(url.path) is missing or unreadable")
    }
    do {
      config = try JSONDecoder().decode(Config.self, from: data)
    } catch {
      throw RuntimeError.invalidBundle("config.json: \(error)")
    }
  }

  /// The rootfs (root.path, relative to the bundle unless absolute).
  var rootfs: URL {
    let path = config.root?.path ?? "rootfs"
    return path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
  }

  /// The network namespace QEMU must join, if config.json names one by path.
  var networkNamespace: String? {
    config.linux?.namespaces?.first { $0.type == "network" }?.path.flatMap { $0.isEmpty ? nil : $0 }
  }
}
