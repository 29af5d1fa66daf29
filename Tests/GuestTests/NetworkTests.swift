import Foundation
import HermitQEMU
import Testing

/// Guests on a real network: QEMU's user networking (DHCP from slirp), and a tap
/// inside a network namespace the test creates (nothing leaves the machine).
@Suite(.serialized) struct NetworkTests {
  @Test func guestAnswersPingOnATapInATestNamespace() throws {
    let namespace = try TestNamespace(hostAddress: "192.168.77.1/24")
    defer { namespace.remove() }
    var pinged: (status: Int32, output: String) = (-1, "")
    let run = try GuestBoot.boot(
      "netconfig", append: "ip=192.168.77.2/24 gateway=192.168.77.1 -- 60",
      network: .tap(name: namespace.tap), namespace: namespace.name, timeout: 120
    ) { output in
      #expect(GuestBoot.waitForOutput(output, containing: "configured", timeout: 60))
      pinged = namespace.run(["ping", "-c", "3", "-W", "5", "192.168.77.2"])
    }
    #expect(pinged.status == 0, "\(pinged.output)")
    #expect(pinged.output.contains("3 received"), "\(pinged.output)")
    #expect(run.output.contains("[0][INFO] IP address: 192.168.77.2/24"), "\(run.output)")
    #expect(run.output.contains("[0][INFO] Default gateway: 192.168.77.1"))
    #expect(run.output.contains("configured 192.168.77.2/24"))
  }

  @Test func dhcpOverUserNetworkingPrintsTheSeedLines() throws {
    let run = try GuestBoot.boot("netconfig", append: "-- 0", network: .user(ports: []))
    try run.expectSlirpDHCPAndInterrupts(from: "virtio-net")
  }

  @Test func dhcpFromDnsmasqOnATapThenPing() throws {
    let namespace = try TestNamespace(hostAddress: "192.168.78.1/24")
    defer { namespace.remove() }
    let dnsmasq = try namespace.start([
      "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=htap0",
      "--bind-interfaces", "--dhcp-range=192.168.78.50,192.168.78.60,255.255.255.0,1h",
      "--dhcp-option=3,192.168.78.1", "--dhcp-option=6,192.168.78.1", "--leasefile-ro",
      "--pid-file=",
    ])
    defer { namespace.stop(dnsmasq) }
    var pinged: (status: Int32, output: String) = (-1, "")
    let run = try GuestBoot.boot(
      "netconfig", append: "-- 60", network: .tap(name: namespace.tap),
      namespace: namespace.name, timeout: 120
    ) { output in
      #expect(GuestBoot.waitForOutput(output, containing: "configured", timeout: 60))
      let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
      guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("configured ") })
      else { return }
      let address = line.dropFirst("configured ".count).split(separator: "/")[0]
      pinged = namespace.run(["ping", "-c", "2", "-W", "5", String(address)])
    }
    #expect(run.output.contains("[0][INFO] DHCP config acquired!"), "\(run.output)")
    #expect(run.output.contains("[0][INFO] Default gateway: 192.168.78.1"))
    #expect(run.output.contains("[0][INFO] DNS server 0: 192.168.78.1"))
    // Any address of dnsmasq's range (.50 to .60: it picks one from the MAC's hash).
    let host = run.output.split(separator: "\n")
      .first { $0.hasPrefix("configured 192.168.78.") }
      .flatMap { Int($0.dropFirst("configured 192.168.78.".count).prefix { $0 != "/" }) }
    #expect(host.map { (50...60).contains($0) } == true, "\(run.output)")
    #expect(pinged.status == 0, "\(pinged.output)")
  }

  /// netclient resolves a name with dnsmasq's DNS and connects to the address:
  /// its DNS server from DHCP, or given on the command line (`ip=`, `gateway=`,
  /// `dns=`, as the runtime passes with user networking), without DHCP.
  @Test(arguments: [(subnet: "192.168.80", dhcp: true), (subnet: "192.168.83", dhcp: false)])
  func theGuestResolvesANameWithDNSAndConnectsToIt(subnet: String, dhcp: Bool) throws {
    let host = "\(subnet).1"
    let namespace = try TestNamespace(hostAddress: "\(host)/24")
    defer { namespace.remove() }
    // dnsmasq: DNS that knows one name (nothing is forwarded), and DHCP.
    let dnsmasq = try namespace.start(
      [
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
        "--interface=htap0", "--bind-interfaces", "--address=/web.hermit.test/\(host)",
        "--local=/hermit.test/", "--leasefile-ro", "--pid-file=",
      ] + (dhcp ? ["--dhcp-range=\(subnet).50,\(subnet).60,255.255.255.0,1h"] : []))
    defer { namespace.stop(dnsmasq) }
    let server = try namespace.start([
      "python3", "-c",
      "import socket;s=socket.create_server((\"\(host)\",9000));c,_=s.accept();"
        + "c.recv(100);c.sendall(b\"greetings from the namespace\\n\");c.close()",
    ])
    defer { namespace.stop(server) }
    try #require(namespace.waitForListener(port: 9000), "the test server did not start")
    let addressing = dhcp ? "" : "ip=\(subnet).2/24 gateway=\(host) dns=\(host) "
    let run = try GuestBoot.boot(
      "netclient", append: addressing + "-- web.hermit.test 9000",
      network: .tap(name: namespace.tap), namespace: namespace.name, timeout: 120)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("[0][INFO] DNS server 0: \(host)"), "\(run.output)")
    #expect(run.output.contains("DHCP config acquired!") == dhcp, "\(run.output)")
    #expect(run.output.contains("received 29 bytes: greetings from the namespace"))
  }

  @Test func anUnknownNameIsNotFound() throws {
    let namespace = try TestNamespace(hostAddress: "192.168.81.1/24")
    defer { namespace.remove() }
    let dnsmasq = try namespace.start([
      "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
      "--interface=htap0", "--bind-interfaces", "--local=/hermit.test/",
      "--dhcp-range=192.168.81.50,192.168.81.60,255.255.255.0,1h", "--leasefile-ro",
      "--pid-file=",
    ])
    defer { namespace.stop(dnsmasq) }
    let run = try GuestBoot.boot(
      "netclient", append: "-- nowhere.hermit.test 9000", network: .tap(name: namespace.tap),
      namespace: namespace.name, timeout: 120)
    #expect(run.status == .exited(4), "\(run.output)")
    #expect(run.output.contains("netclient failed: nameNotFound"), "\(run.output)")
  }

  @Test func guestWithoutANICSaysSoAndFails() throws {
    let run = try GuestBoot.boot("netconfig", append: "-- 0")
    #expect(run.status == .exited(3), "\(run.output)")
    #expect(run.output.contains("No network device found"))
    #expect(run.output.contains("no network"))
  }
}

extension GuestRun {
  /// netconfig under QEMU's user networking: it exited 0 after the seed's DHCP
  /// lines with slirp's addresses, and the NIC's interrupt reached its handler
  /// (`[0][INFO] [0][DEVICE]: N` in the shutdown statistics).
  func expectSlirpDHCPAndInterrupts(from device: String) throws {
    #expect(status == .exited(0), "\(output)")
    let acquired = try #require(
      lines.firstIndex(of: "[0][INFO] DHCP config acquired!"), "\(output)")
    #expect(lines[acquired + 1] == "[0][INFO] IP address: 10.0.2.15/24")
    #expect(lines[acquired + 2] == "[0][INFO] Default gateway: 10.0.2.2")
    #expect(lines[acquired + 3] == "[0][INFO] DNS server 0: 10.0.2.3")
    #expect(lines.contains("configured 10.0.2.15/24"))
    let prefix = "[0][INFO] [0][\(device)]: "
    let count = lines.first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
    #expect((count ?? 0) > 0, "\(output)")
  }
}

/// A network namespace with a tap device for QEMU, its host side addressed;
/// removed (with everything in it) by `remove()`.
struct TestNamespace {
  let name = "hermit-test-\(UInt32.random(in: 0...UInt32.max))"
  let tap = "htap0"

  init(hostAddress: String) throws {
    for command in [
      ["ip", "netns", "add", name],
      ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
      ["ip", "netns", "exec", name, "ip", "tuntap", "add", "dev", tap, "mode", "tap"],
      ["ip", "netns", "exec", name, "ip", "addr", "add", hostAddress, "dev", tap],
      ["ip", "netns", "exec", name, "ip", "link", "set", tap, "up"],
    ] {
      let result = TestNamespace.execute(command)
      guard result.status == 0 else {
        remove()
        throw SetupFailed(message: "\(command.joined(separator: " ")): \(result.output)")
      }
    }
  }

  struct SetupFailed: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }

  /// Runs `command` inside the namespace.
  func run(_ command: [String]) -> (status: Int32, output: String) {
    TestNamespace.execute(["ip", "netns", "exec", name] + command)
  }

  func remove() { _ = TestNamespace.execute(["ip", "netns", "del", name]) }

  /// Waits up to 20 s until something in the namespace listens on TCP `port`.
  func waitForListener(port: Int) -> Bool {
    for _ in 0..<200 {
      if run(["ss", "-Hltn", "sport = :\(port)"]).output.contains(":\(port)") { return true }
      usleep(100_000)
    }
    return false
  }

  /// Starts `command` inside the namespace in the background (a server) and
  /// returns its pid; the caller kills it. posix_spawn, not Foundation's
  /// Process: Process learns of an exit through a socket the child inherits, so
  /// a server that keeps it (or a daemon that closes it early) confuses it, and
  /// then no other child is reaped. Only stdio (/dev/null) is inherited.
  func start(_ command: [String]) throws -> Int32 {
    try TestNamespace.start(command, in: name)
  }

  /// `start(_:)` in the namespace called `namespace`.
  static func start(_ command: [String], in namespace: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for descriptor: Int32 in 0...2 {
      posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_RDWR, 0)
    }
    // Descriptors other tests opened without close-on-exec stay out of the server.
    let closeTheRest =
      "for fd in $(seq 3 1023); do eval \"exec $fd>&-\"; done 2>/dev/null; exec \"$@\""
    let argv =
      (["/usr/bin/ip", "netns", "exec", namespace, "/bin/bash", "-c", closeTheRest, "server"]
      + command)
      .map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    // An empty signal mask and default handlers: the test runner's threads
    // block signals that servers rely on (hping3 paces itself with SIGALRM).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGALRM, SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] {
      sigaddset(&defaults, signal)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let status = posix_spawn(&pid, "/usr/bin/ip", &actions, &attributes, argv, environ)
    guard status == 0 else {
      throw SetupFailed(message: "cannot start \(command[0]): error \(status)")
    }
    usleep(300_000)  // let it bind
    return pid
  }

  /// Stops a server from `start`.
  func stop(_ pid: Int32) {
    kill(pid, SIGKILL)
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
  }

  static func execute(_ command: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
