/// Everything that can go wrong while preparing, launching or supervising QEMU.
///
/// Each case carries what a user needs to act on it; `description` is the one line
/// the CLI prints after `hermit-runtime: error: `.
public enum HermitQEMUError: Error, Equatable, CustomStringConvertible, Sendable {
  /// `-p` could not be parsed.
  case invalidPortMapping(String, reason: String)
  /// A host port in a `-p` mapping is already bound by someone else.
  case portInUse(address: String, port: Int, proto: String)
  /// `--cpus` out of range.
  case invalidCPUCount(Int)
  /// The QEMU binary was not found.
  case qemuNotFound(String)
  /// A file QEMU needs (loader, app) is missing.
  case missingFile(String)
  /// KVM was requested but `/dev/kvm` is missing or not accessible.
  case kvmUnavailable(String)
  /// A system call failed.
  case system(call: String, errno: Int32)
  /// A child process could not be set up or confined (`step`) before running `path`.
  case childSetup(step: String, path: String, errno: Int32)

  public var description: String {
    switch self {
    case .invalidPortMapping(let spec, let reason):
      return "invalid port mapping '\(spec)': \(reason) (expected [IP:]HOST:GUEST[/tcp|/udp])"
    case .portInUse(let address, let port, let proto):
      let shown = address.isEmpty ? "0.0.0.0" : address
      return "host port \(port)/\(proto) is already in use (\(shown):\(port))"
    case .invalidCPUCount(let count):
      return "invalid CPU count \(count) (1...255)"
    case .qemuNotFound(let name):
      return
        "QEMU not found: '\(name)' is not in PATH (install qemu-system-x86, or set HERMIT_QEMU)"
    case .missingFile(let path):
      return "missing file: \(path)"
    case .kvmUnavailable(let reason):
      return "KVM is not available: \(reason) (use --accel tcg)"
    case .system(let call, let errno):
      return "\(call) failed: \(String(cString: strerror(errno)))"
    case .childSetup(let step, let path, let errno):
      return "cannot start \(path): \(step) failed: \(String(cString: strerror(errno)))"
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
