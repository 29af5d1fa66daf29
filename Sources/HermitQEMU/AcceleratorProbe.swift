import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Decides which accelerator `--accel` means on this host.
///
/// `auto` may use KVM only if KVM runs our guests: on nested hosts it fails on the
/// first SSE instruction and QEMU then hangs (PLATFORM.md). So `auto` boots
/// `ProbeGuest` under KVM once, with a short timeout and the stderr watchdog, and
/// caches the answer keyed by the host kernel release and the QEMU binary's
/// identity (path, size, mtime: cheaper than running `qemu --version` on every
/// start, and it changes whenever QEMU is upgraded).
public struct AcceleratorProbe: Sendable {
  /// Where the answer is cached (`accel-probe.json`); nil disables the cache.
  public var cacheDirectory: URL?
  /// QEMU executable.
  public var qemu: String
  /// How long the probe may take before KVM is declared unusable.
  public var timeout: Duration
  /// The KVM device, overridable for tests.
  public var kvmDevice: String

  public init(
    cacheDirectory: URL?, qemu: String = "qemu-system-x86_64", timeout: Duration = .seconds(3),
    kvmDevice: String = "/dev/kvm"
  ) {
    self.cacheDirectory = cacheDirectory
    self.qemu = qemu
    self.timeout = timeout
    self.kvmDevice = kvmDevice
  }

  /// The accelerator for `choice`.
  /// - Throws: `.kvmUnavailable` when `kvm` is asked for and /dev/kvm cannot be opened.
  public func resolve(_ choice: AcceleratorChoice) throws(HermitQEMUError) -> Accelerator {
    switch choice {
    case .tcg:
      return .tcg
    case .kvm:
      guard access(kvmDevice, R_OK | W_OK) == 0 else {
        throw .kvmUnavailable("\(kvmDevice): \(String(cString: strerror(errno)))")
      }
      return .kvm
    case .auto:
      guard access(kvmDevice, R_OK | W_OK) == 0 else { return .tcg }
      let key = cacheKey()
      if let key, let cached = readCache()[key], let accelerator = Accelerator(rawValue: cached) {
        return accelerator
      }
      let answer: Accelerator = probeKVM() ? .kvm : .tcg
      if let key { writeCache(key: key, value: answer) }
      return answer
    }
  }

  /// Boots the probe guest under KVM. True if it ran SSE and exited as expected.
  public func probeKVM() -> Bool {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    guard
      (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true))
        != nil
    else { return false }
    defer { try? FileManager.default.removeItem(at: directory) }
    let kernel = directory.appendingPathComponent("probe").path
    guard FileManager.default.createFile(atPath: kernel, contents: Data(ProbeGuest.bytes)) else {
      return false
    }
    let configuration = VMConfiguration(
      name: "probe-\(getpid())", loader: kernel, app: kernel, commandLine: "", memoryMiB: 16,
      accelerator: .kvm, statusFile: directory.appendingPathComponent("status").path)
    var options = Supervisor.Options()
    options.timeout = timeout
    options.handleSignals = false
    options.console = .null
    options.errorOutput = -1
    guard
      let outcome = try? Supervisor.run(
        QEMUCommand(configuration, executable: qemu),
        statusFile: configuration.statusFile, options: options)
    else { return false }
    return outcome.cause == nil && outcome.termination == .exited(ProbeGuest.successStatus)
  }

  /// Host kernel release + QEMU binary identity, or nil if either is unknown.
  func cacheKey() -> String? {
    var name = utsname()
    guard uname(&name) == 0 else { return nil }
    let release = withUnsafeBytes(of: &name.release) {
      String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
    }
    guard let path = ChildProcess.resolveExecutable(qemu) else { return nil }
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return "\(release)|\(path)|\(info.st_size)|\(info.st_mtim.tv_sec)"
  }

  private var cacheFile: URL? { cacheDirectory?.appendingPathComponent("accel-probe.json") }

  private func readCache() -> [String: String] {
    guard let cacheFile, let data = try? Data(contentsOf: cacheFile),
      let map = try? JSONDecoder().decode([String: String].self, from: data)
    else { return [:] }
    return map
  }

  private func writeCache(key: String, value: Accelerator) {
    guard let cacheFile, let cacheDirectory else { return }
    var map = readCache()
    map[key] = value.rawValue
    try? FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
    if let data = try? JSONEncoder().encode(map) {
      try? AtomicFile.write(data, to: cacheFile, durability: .volatile)
    }
  }
}
