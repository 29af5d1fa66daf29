import Testing

@testable import HermitQEMU

@Suite struct QEMUCommandTests {
  func configuration(
    cpus: Int = 1, accelerator: Accelerator = .tcg, network: VMConfiguration.Network = .none,
    nic: VMConfiguration.NIC = .virtio
  ) -> VMConfiguration {
    VMConfiguration(
      name: "web", loader: "/img/hermit/loader", app: "/img/hermit/app",
      commandLine: "env=A=B -- x", cpus: cpus, memoryMiB: 128, accelerator: accelerator,
      network: network, nic: nic, statusFile: "/state/web/status")
  }

  /// The value following `flag` (first occurrence).
  func value(_ flag: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else {
      return nil
    }
    return arguments[index + 1]
  }

  /// All values following `flag`.
  func values(_ flag: String, in arguments: [String]) -> [String] {
    arguments.indices.filter { arguments[$0] == flag && $0 + 1 < arguments.count }.map {
      arguments[$0 + 1]
    }
  }

  @Test func aGuestWithoutNetworkBootsOnMicrovmUnderTCG() {
    let command = QEMUCommand(configuration())
    let a = command.arguments
    #expect(command.executable == "qemu-system-x86_64")
    #expect(value("-name", in: a) == "hermit-web")
    #expect(value("-M", in: a) == "microvm")
    #expect(value("-accel", in: a) == "tcg,tb-size=64")
    #expect(value("-cpu", in: a) == "max")
    #expect(value("-smp", in: a) == "1")
    #expect(value("-m", in: a) == "128M")
    #expect(value("-serial", in: a) == "stdio")
    #expect(value("-kernel", in: a) == "/img/hermit/loader")
    #expect(value("-initrd", in: a) == "/img/hermit/app")
    #expect(value("-append", in: a) == "env=A=B -- x")
    for flag in ["-nodefaults", "-no-user-config", "-no-reboot"] { #expect(a.contains(flag)) }
    #expect(value("-display", in: a) == "none")
    #expect(!a.contains("-netdev"))
    #expect(!a.contains("-bios"))
  }

  @Test func theExitChannelDevicesFollowTheABI() {
    let a = QEMUCommand(configuration()).arguments
    let devices = values("-device", in: a)
    #expect(devices.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"))
    #expect(devices.contains("isa-debugcon,iobase=0xe9,chardev=hstatus"))
    #expect(value("-chardev", in: a) == "file,id=hstatus,path=/state/web/status,append=on")
  }

  @Test func commasInTheStatusPathAreDoubled() {
    var c = configuration()
    c.statusFile = "/tmp/a,b/status"
    #expect(
      value("-chardev", in: QEMUCommand(c).arguments) == "file,id=hstatus,path=/tmp/a,,b/status,append=on")
  }

  @Test func aConsoleLogIsWrittenByQEMUItselfNextToStdout() {
    var c = configuration()
    #expect(value("-serial", in: QEMUCommand(c).arguments) == "stdio")
    c.consoleLog = "/tmp/x,y/console.log"
    let a = QEMUCommand(c).arguments
    #expect(value("-serial", in: a) == "chardev:console")
    #expect(a.contains("stdio,id=console,logfile=/tmp/x,,y/console.log,logappend=on"))
  }

  @Test func severalCPUsUseMultiThreadedTCG() {
    let a = QEMUCommand(configuration(cpus: 4)).arguments
    #expect(value("-accel", in: a) == "tcg,thread=multi,tb-size=64")
    #expect(value("-smp", in: a) == "4")
  }

  @Test func kvmUsesTheHostCPUWithoutArchCapabilities() {
    let a = QEMUCommand(configuration(accelerator: .kvm)).arguments
    #expect(value("-accel", in: a) == "kvm")
    #expect(value("-cpu", in: a) == "host,-arch-capabilities")
  }

  @Test func userNetworkingForwardsPortsToVirtioMMIOOnMicrovm() {
    let ports = [
      PortMapping(hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 80),
      PortMapping(hostPort: 5353, guestPort: 53, proto: .udp),
    ]
    let a = QEMUCommand(configuration(network: .user(ports: ports)), pcFirmware: "/q/qboot.rom")
      .arguments
    #expect(value("-M", in: a) == "microvm")
    #expect(value("-bios", in: a) == nil)
    #expect(
      value("-netdev", in: a)
        == "user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,dhcpstart=10.0.2.15,"
        + "hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp::5353-:53")
    let nic = values("-device", in: a).first { $0.hasPrefix("virtio-net-device") }
    #expect(nic?.contains("netdev=net0") == true)
    #expect(values("-global", in: a).contains("virtio-mmio.force-legacy=false"))
  }

  @Test func tapNetworkingUsesTheNamedTapWithoutVhost() {
    let a = QEMUCommand(configuration(network: .tap(name: "htap0"), nic: .rtl8139)).arguments
    #expect(value("-M", in: a) == "pc")
    #expect(value("-netdev", in: a) == "tap,id=net0,ifname=htap0,script=no,downscript=no,vhost=off")
    #expect(values("-device", in: a).contains { $0.hasPrefix("rtl8139,netdev=net0") })
  }

  @Test func theMACAddressIsStablePerNameAndLocal() {
    let first = configuration(network: .user(ports: [])).effectiveMAC
    #expect(first == configuration(network: .user(ports: [])).effectiveMAC)
    #expect(first.hasPrefix("52:54:00:"))
    #expect(first.count == 17)
    var other = configuration()
    other.name = "db"
    #expect(other.effectiveMAC != first)
  }

  @Test func argvStartsWithTheExecutable() {
    let command = QEMUCommand(configuration(), executable: "/opt/qemu")
    #expect(command.argv.first == "/opt/qemu")
    #expect(Array(command.argv.dropFirst()) == command.arguments)
  }
}

extension QEMUCommandTests {
  @Test func qemuRunsInItsSeccompSandboxUnlessPrivileged() {
    let confined = QEMUCommand(configuration()).arguments
    #expect(
      value("-sandbox", in: confined)
        == "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny")
    var privileged = configuration()
    privileged.privileged = true
    #expect(value("-sandbox", in: QEMUCommand(privileged).arguments) == nil)
  }
}
