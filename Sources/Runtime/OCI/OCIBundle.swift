import FoundationEssentials
import HermitOCI
import HermitSystem

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
      /// runtime-spec config-linux.md "Control groups": what podman's `--memory`,
      /// `--cpus` and `--cpuset-cpus` become. For a VM they size the guest.
      struct Resources: Decodable {
        struct Memory: Decodable {
          var limit: Int64?
        }
        struct CPU: Decodable {
          var quota: Int64?
          var period: UInt64?
          var cpus: String?
        }
        struct Pids: Decodable {
          var limit: Int64?
        }
        var memory: Memory?
        var cpu: CPU?
        var pids: Pids?
      }
      var namespaces: [Namespace]?
      var cgroupsPath: String?
      var resources: Resources?
    }
    struct Mount: Decodable {
      var destination: String
      var source: String?
    }
    var ociVersion: String?
    var process: Process?
    var root: Root?
    var mounts: [Mount]?
    var hostname: String?
    var annotations: [String: String]?
    var linux: Linux?
    var hooks: OCIHooks?
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

  /// The container's DNS server for the guest (`dns=`): the first IPv4
  /// `nameserver` of the resolv.conf the engine mounts at /etc/resolv.conf
  /// (podman and containerd write one per container), or of the rootfs's own;
  /// nil if there is none the guest could reach.
  var dnsServer: String? {
    let mounted = config.mounts?.last { $0.destination == "/etc/resolv.conf" }?.source
    let path = mounted ?? rootfs.appendingPathComponent("etc/resolv.conf").path
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return ResolvConf.firstNameserver(in: text)
  }

  /// Guest memory from `linux.resources.memory.limit`, in whole MiB (rounded down,
  /// so the VM stays within the limit); nil when config.json sets no limit.
  func memoryMiB() throws -> Int? {
    try MemorySize.mebibytes(limitBytes: config.linux?.resources?.memory?.limit)
  }

  /// Virtual CPUs from `linux.resources.cpu`: quota/period rounded up (podman's
  /// `--cpus 1.5` gives 2), or the number of CPUs in the cpuset (`0-3,6`), the
  /// smaller of the two when both are set; nil when neither is.
  func cpus() throws -> Int? {
    let cpu = config.linux?.resources?.cpu
    var counts: [Int] = []
    if let quota = cpu?.quota, quota > 0 {
      let period = Int64(clamping: cpu?.period ?? 100_000)
      guard period > 0 else { throw RuntimeError.invalidBundle("linux.resources.cpu.period is 0") }
      counts.append(Int(min((quota + period - 1) / period, 255)))
    }
    if let set = cpu?.cpus, !set.isEmpty {
      guard let count = Self.cpuCount(inSet: set) else {
        throw RuntimeError.invalidBundle(
          "linux.resources.cpu.cpus \(Sanitized.quoted(set)) is not a CPU list like 0-3,6")
      }
      counts.append(min(count, 255))
    }
    return counts.min()
  }

  /// The number of CPUs in a Linux CPU list (`0-3,6`), nil if malformed.
  static func cpuCount(inSet list: String) -> Int? {
    var cpus = Set<Int>()
    for part in list.split(separator: ",", omittingEmptySubsequences: false) {
      let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
      guard (1...2).contains(bounds.count),
        let low = Int(bounds[0].trimmed),
        let high = Int(bounds[bounds.count - 1].trimmed),
        low >= 0, low <= high, high < 4096
      else { return nil }
      cpus.formUnion(low...high)
    }
    return cpus.isEmpty ? nil : cpus.count
  }
}
