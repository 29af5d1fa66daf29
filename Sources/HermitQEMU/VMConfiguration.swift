import BootFormat
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Everything needed to boot one hermit guest, independent of how QEMU is started.
///
/// `QEMUCommand` turns it into a command line (pure, unit-tested); `Supervisor`
/// runs that command.
public struct VMConfiguration: Codable, Equatable, Sendable {
  /// How the guest is networked.
  public enum Network: Codable, Equatable, Sendable {
    /// No NIC at all.
    case none
    /// QEMU user networking (slirp): `UserNetwork`'s addresses, `-p` via hostfwd.
    case user(ports: [PortMapping])
    /// An existing tap device (created by the caller), `vhost=off` since this host
    /// has no /dev/vhost-net.
    case tap(name: String)
  }

  /// QEMU user networking's addresses (slirp's defaults, set explicitly on
  /// `-netdev user` so that they cannot drift). The runtime hands them to the
  /// guest on its command line (`ip=`, `gateway=`, `dns=`): a guest that asked
  /// slirp's DHCP server would get the same, after an exchange whose code, run
  /// once per boot, TCG translates first (~550 blocks, ~7 ms; bench/netboot.sh).
  public enum UserNetwork {
    /// The subnet (`net=`).
    public static let subnet = "10.0.2.0/24"
    /// The guest's address and prefix (`dhcpstart=` is its address).
    public static let guest = "10.0.2.15/24"
    /// The host as the guest sees it, and the default route (`host=`).
    public static let gateway = "10.0.2.2"
    /// slirp's DNS forwarder (`dns=`).
    public static let dns = "10.0.2.3"

    /// The `-netdev user` options that fix these addresses.
    static var netdevOptions: [String] {
      let address = guest.split(separator: "/")[0]
      return ["net=\(subnet)", "host=\(gateway)", "dns=\(dns)", "dhcpstart=\(address)"]
    }
  }

  /// The guest NIC model (when there is a network).
  public enum NIC: String, Codable, Sendable {
    /// virtio-net, modern only (virtio 1.x), on the default transport:
    /// `defaultVirtioTransport` (bench/netboot.sh and bench/httpd.sh measure both).
    case virtio
    /// virtio-net on microvm's virtio-mmio transport.
    case virtioMMIO = "virtio-mmio"
    /// virtio-net on PCI (`virtio-net-pci`), on microvm's PCIe host bridge.
    case virtioPCI = "virtio-pci"
    /// Realtek 8139, as in the seed.
    case rtl8139

    /// What `virtio` means.
    public static let defaultVirtioTransport = NIC.virtioMMIO

    /// `virtio` resolved to its transport; the other models as they are.
    public var resolved: NIC { self == .virtio ? Self.defaultVirtioTransport : self }
  }

  /// The QEMU machine type.
  public enum Machine: String, Codable, Sendable {
    /// No PCI, no BIOS tables to walk: boots in tens of milliseconds.
    case microvm
    /// microvm with a PCIe host bridge (ECAM, no legacy PCI ports) for
    /// virtio-net-pci: ~15 ms more than microvm, ~25 ms less than `pc`
    /// with qboot (bench/netboot.sh).
    case microvmPCIe = "microvm,pcie=on"
    /// i440FX PC with PCI, needed for PCI NICs.
    case pc
  }

  /// Name used for `-name hermit-<name>`, so a leftover QEMU is traceable.
  public var name: String
  /// The loader (`-kernel`).
  public var loader: String
  /// The app ELF (`-initrd`).
  public var app: String
  /// The untrusted tree `loader` and `app` lie in (an image's or bundle's
  /// rootfs): they are then opened inside it, never through a symbolic link
  /// (`guestFiles()`). nil: trusted paths given by the user.
  public var imageRoot: String?
  /// The kernel command line (`-append`), see docs/ABI.md.
  public var commandLine: String
  /// The app's environment (`KEY=VALUE` each). It never goes on a command line,
  /// where every local user can read it (`/proc/PID/cmdline`): QEMU reads it
  /// from `environmentFile` (mode 0600, QEMU's user's) into fw_cfg.
  public var environment: [String]?
  /// The file QEMU hands the guest as fw_cfg `opt/org.hermit/env`: `env=`
  /// tokens (docs/ABI.md), written as QEMU starts (`writeEnvironmentFile`).
  public var environmentFile: String?
  public var cpus: Int
  public var memoryMiB: Int
  public var accelerator: Accelerator
  public var network: Network
  public var nic: NIC
  /// Where QEMU writes the debugcon status record (port 0xe9).
  public var statusFile: String
  /// A MAC address for the NIC; derived from `name` when nil.
  public var macAddress: String?
  /// True turns QEMU's confinement off (`run --privileged`, for debugging); nil or
  /// false keeps it: QEMU's seccomp sandbox with every optional door shut.
  public var privileged: Bool?
  /// A file QEMU copies the console to as well as its stdout (a foreground
  /// `run`'s log, so `logs` works for every container, as docker's does).
  public var consoleLog: String?
  /// QEMU's human monitor on a pair of FIFOs, `<monitor>.in` and `<monitor>.out`
  /// (`-chardev pipe`): how the runtime asks the guest to shut down (`GuestStop`).
  public var monitor: String?
  /// With `.tap`: QEMU gets the tap already open as this descriptor instead of
  /// opening it by name (a confined QEMU has no /dev/net/tun and no CAP_NET_ADMIN).
  public var tapDescriptor: Int32?

  public init(
    name: String, loader: String, app: String, commandLine: String, cpus: Int = 1,
    memoryMiB: Int = 64, accelerator: Accelerator = .tcg, network: Network = .none,
    nic: NIC = .virtio, statusFile: String, macAddress: String? = nil
  ) {
    self.name = name
    self.loader = loader
    self.app = app
    self.commandLine = commandLine
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.accelerator = accelerator
    self.network = network
    self.nic = nic
    self.statusFile = statusFile
    self.macAddress = macAddress
  }

  /// microvm whenever it can: it reaches the kernel in ~60 ms where `pc` with
  /// SeaBIOS takes seconds under KVM (PLATFORM.md). virtio-net on virtio-mmio
  /// sits on microvm's transports, virtio-net-pci behind microvm's PCIe host
  /// bridge; only rtl8139 (a PCI card with no MSI-X, whose INTx microvm does
  /// not route) needs `pc`.
  public var machine: Machine {
    if case .none = network { return .microvm }
    switch nic.resolved {
    case .virtio, .virtioMMIO: return .microvm
    case .virtioPCI: return .microvmPCIe
    case .rtl8139: return .pc
    }
  }

  /// Host ports this configuration forwards.
  public var ports: [PortMapping] {
    if case .user(let ports) = network { return ports }
    return []
  }

  /// The NIC's MAC: locally administered, stable for a given name.
  public var effectiveMAC: String {
    if let macAddress { return macAddress }
    // QEMU's own OUI 52:54:00 like QEMU's defaults.
    let hash = FNV1a.hash(name)
    let b = [(hash >> 16) & 0xff, (hash >> 8) & 0xff, hash & 0xff]
    return "52:54:00:" + b.map { hex2($0) }.joined(separator: ":")
  }
}

private func hex2(_ value: UInt32) -> String {
  let digits = Array("0123456789abcdef")
  return String([digits[Int(value >> 4)], digits[Int(value & 0xf)]])
}

extension VMConfiguration {
  /// The loader and the app, each opened once as a regular file: inside
  /// `imageRoot` when set (`RootedFile`: no symbolic link, no way out), else
  /// by their paths.
  public func guestFiles() throws(SystemError) -> (loader: RootedFile, app: RootedFile) {
    func open(_ path: String) throws(SystemError) -> RootedFile {
      if let imageRoot {
        let prefix = imageRoot.hasSuffix("/") ? imageRoot : imageRoot + "/"
        if path.hasPrefix(prefix) {
          return try RootedFile(String(path.dropFirst(prefix.count)), in: imageRoot)
        }
        throw SystemError(path, "open inside \(imageRoot)", errno: EXDEV)
      }
      return try RootedFile(path, in: "/", followingSymlinks: true)
    }
    return (try open(loader), try open(app))
  }
}

extension VMConfiguration {
  /// The name of the fw_cfg file that carries the environment.
  public static let environmentFirmwareName = "opt/org.hermit/env"

  /// `environment` as the kernel reads it from fw_cfg: `env=` tokens quoted as
  /// on its command line.
  public var environmentTokens: String {
    (environment ?? []).map { KernelCommandLine.quote("env=" + $0) }.joined(separator: " ")
  }

  /// Writes `environmentTokens` to a new file at `path` (mode 0600, owned by
  /// `owner` when given) and names it as `environmentFile`; no file when there
  /// is no environment. An existing file or link at `path` is replaced, never
  /// followed.
  public mutating func writeEnvironmentFile(
    at path: String, owner: (uid: UInt32, gid: UInt32)?
  ) throws(SystemError) {
    guard let environment, !environment.isEmpty else { return }
    if unlink(path) != 0 && errno != ENOENT { throw SystemError(path, "unlink", errno: errno) }
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw SystemError(path, "open", errno: errno) }
    defer { close(fd) }
    if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
      throw SystemError(path, "fchown", errno: errno)
    }
    let bytes = Array(environmentTokens.utf8)
    var done = 0
    while done < bytes.count {
      let wrote = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
      if wrote < 0 && errno == EINTR { continue }
      guard wrote > 0 else { throw SystemError(path, "write", errno: errno) }
      done += wrote
    }
    environmentFile = path
  }
}
