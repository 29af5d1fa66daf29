import FoundationEssentials

/// The QEMU command line for a `VMConfiguration` (docs/ABI.md "Booting").
///
/// Pure: no file system or process access, so every flag is unit-tested.
public struct QEMUCommand: Equatable, Sendable {
  /// The QEMU executable (a name looked up in PATH, or a path).
  public var executable: String
  /// Arguments after the executable.
  public var arguments: [String]

  /// Builds the command.
  /// - Parameters:
  ///   - configuration: the VM to boot.
  ///   - executable: QEMU binary, `qemu-system-x86_64` by default.
  ///   - pcFirmware: a BIOS for `-M pc` such as qboot.rom (about 90 ms to the
  ///     kernel instead of seconds with SeaBIOS under KVM); nil keeps QEMU's default.
  public init(
    _ configuration: VMConfiguration, executable: String = "qemu-system-x86_64",
    pcFirmware: String? = nil
  ) {
    self.executable = executable
    let c = configuration
    var a: [String] = ["-name", "hermit-\(c.name)"]
    if c.privileged != true { a += ["-sandbox", Self.sandbox] }
    a += ["-M", c.machine.rawValue]
    if c.machine == .pc, let pcFirmware { a += ["-bios", pcFirmware] }
    switch c.accelerator {
    case .kvm:
      // `-cpu host` aborts on this host (MSR 0x10a, IA32_ARCH_CAPABILITIES).
      a += ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
    case .tcg:
      // One host thread per vCPU when there are several: MTTCG is safe for x86 guests.
      // The translation cache is bounded (QEMU's default reserves 1 GiB), so QEMU's
      // own memory beside the guest's RAM has a bound the cgroup limit can rely on.
      let threads = c.cpus > 1 ? ",thread=multi" : ""
      a += ["-accel", "tcg\(threads),tb-size=\(Self.translationCacheMiB)", "-cpu", "max"]
    }
    a += ["-smp", String(c.cpus), "-m", "\(c.memoryMiB)M"]
    a += ["-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"]
    // The console is COM1; QEMU's stdin is /dev/null (the Supervisor sees to that),
    // so QEMU never switches a terminal to raw mode.
    if let log = c.consoleLog {
      // QEMU itself writes the log: no copy through the runtime on the console's path.
      a += ["-chardev", "stdio,id=console,logfile=\(Self.escapeOption(log)),logappend=on"]
      a += ["-serial", "chardev:console"]
    } else {
      a += ["-serial", "stdio"]
    }
    // Exit channel: isa-debug-exit carries 7 bits, the debugcon record the rest.
    a += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    // append=on: the file is opened O_APPEND, so when the runtime truncates a
    // status file grown too large, QEMU's next write lands at its new end.
    a += ["-chardev", "file,id=hstatus,path=\(Self.escapeOption(c.statusFile)),append=on"]
    a += ["-device", "isa-debugcon,iobase=0xe9,chardev=hstatus"]
    if let monitor = c.monitor {
      // The human monitor, for `system_powerdown` (GuestStop); only the runtime
      // can write the FIFO, which lives in the container's private directory.
      a += ["-chardev", "pipe,id=monitor,path=\(Self.escapeOption(monitor))"]
      a += ["-mon", "chardev=monitor,mode=readline"]
    }
    switch c.network {
    case .none:
      break
    case .user(let ports):
      let options =
        ["user", "id=net0"] + VMConfiguration.UserNetwork.netdevOptions + ports.map(\.hostfwd)
      a += ["-netdev", options.joined(separator: ",")]
      a += Self.nicDevice(c)
    case .tap(let name):
      if let fd = c.tapDescriptor {
        a += ["-netdev", "tap,id=net0,fd=\(fd),vhost=off"]
      } else {
        a += [
          "-netdev",
          "tap,id=net0,ifname=\(Self.escapeOption(name)),script=no,downscript=no,vhost=off",
        ]
      }
      a += Self.nicDevice(c)
    }
    if let file = c.environmentFile {
      let name = VMConfiguration.environmentFirmwareName
      a += ["-fw_cfg", "name=\(name),file=\(Self.escapeOption(file))"]
    }
    a += ["-kernel", c.loader, "-initrd", c.app, "-append", c.commandLine]
    self.arguments = a
  }

  /// The NIC `-device` option; `romfile=` skips the PXE option ROM (boot time, and
  /// the ROM file may not be installed). The kernel drives only virtio's modern
  /// interface: QEMU makes a virtio-mmio transport legacy (version 1) unless told
  /// otherwise, and a virtio-net-pci transitional unless `disable-legacy=on`.
  static func nicDevice(_ c: VMConfiguration) -> [String] {
    switch c.nic.resolved {
    case .virtio, .virtioMMIO:
      return [
        "-global", "virtio-mmio.force-legacy=false",
        "-device", "virtio-net-device,netdev=net0,mac=\(c.effectiveMAC)",
      ]
    case .virtioPCI:
      return [
        "-device", "virtio-net-pci,disable-legacy=on,netdev=net0,romfile=,mac=\(c.effectiveMAC)",
      ]
    case .rtl8139:
      return ["-device", "rtl8139,netdev=net0,romfile=,mac=\(c.effectiveMAC)"]
    }
  }

  /// TCG's translation cache, MiB: our guests translate a few MiB of code.
  public static let translationCacheMiB = 64

  /// QEMU's seccomp filter (qemu-options.hx, `-sandbox`): besides the default
  /// set, obsolete system calls, privilege changes (setuid and friends), new
  /// processes (fork/exec) and resource control (scheduler, affinity) are
  /// refused. A guest that escapes the emulator finds these doors shut.
  public static let sandbox =
    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

  /// QEMU option values are comma-separated: a literal comma is written twice.
  static func escapeOption(_ value: String) -> String {
    value.split(separator: ",", omittingEmptySubsequences: false).joined(separator: ",,")
  }

  /// The whole command, executable first.
  public var argv: [String] { [executable] + arguments }
}
