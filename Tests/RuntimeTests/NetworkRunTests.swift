import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The seed's HTTP demo through the runtime: `run -p` (QEMU user networking),
/// `run --net tap` on a bridge, and podman `-p` (the OCI path in podman's
/// network namespace). Bridges, taps and dnsmasq live in namespaces the tests
/// create; curl talks only to loopback or to those namespaces.
@Suite(
  .serialized,
  .enabled(
    if: Harness.images != nil && Harness.isRoot && Harness.tool("curl"),
    "needs build/ guests, hermit-image, curl and root"))
struct NetworkRunTests {
  /// examples/httpd as an image tarball, built once.
  static let httpd: String? = try? Harness.buildImage("httpd", app: "examples/httpd")

  func image() throws -> String { try #require(Self.httpd, "hermit-image build httpd failed") }

  /// Retries `curl URL` (optionally inside a namespace) until it answers, for at most 60 s.
  func curlUntilAnswered(_ url: String, namespace: String? = nil) -> Harness.Result? {
    var last: Harness.Result?
    _ = Harness.waitUntil(timeout: .seconds(60)) {
      let command = ["curl", "-s", "-S", "-m", "5", url]
      last =
        namespace.map { try? Harness.run("/usr/bin/ip", ["netns", "exec", $0] + command) }
        ?? (try? Harness.run("/usr/bin/curl", Array(command.dropFirst())))
      return last?.status == 0
    }
    return last
  }

  /// `run -d --name NAME [FLAGS] -p 127.0.0.1:PORT:8000` of the httpd image.
  func runHTTPD(
    _ scratch: Scratch, name: String, port: Int, flags: [String] = []
  ) throws -> Harness.Result {
    try scratch.runtime(
      ["run", "-d", "--name", name] + flags + ["-p", "127.0.0.1:\(port):8000", try image()])
  }

  @Test func runPublishesAPortAndCurlGetsHelloWorld() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let port = try Loopback.freePort()
    let name = scratch.name("web")
    let started = try runHTTPD(scratch, name: name, port: port)
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    let answer = curlUntilAnswered("http://127.0.0.1:\(port)/hello")
    #expect(answer?.stdout == "hello world", "\(answer?.stderr ?? "")")
    let logs = try scratch.runtime(["logs", name])
    // QEMU's addresses, told on the command line (LaunchPlan): no DHCP exchange.
    for line in [
      "[0][INFO] IP address: 10.0.2.15/24", "[0][INFO] Default gateway: 10.0.2.2",
      "[0][INFO] DNS server 0: 10.0.2.3",
    ] {
      #expect(logs.stdout.contains(line + "\n"), "\(logs.stdout)")
    }
    #expect(!logs.stdout.contains("DHCP"), "\(logs.stdout)")
    #expect(logs.stdout.contains("Now listening on port 8000"))
    #expect(logs.stdout.contains("[httpd] GET /hello HTTP/1.1"))
  }

  /// `run -d -p` returns once QEMU listens on the host port, as docker's does once
  /// the port is bound: one GET right after it, without sleep or retry, connects,
  /// and QEMU holds the request until the guest's server (still booting)
  /// accepts it.
  @Test func aDetachedRunReturnsWithItsPortOpenForAnImmediateRequest() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let port = try Loopback.freePort()
    let name = scratch.name("quick")
    let started = try runHTTPD(scratch, name: name, port: port)
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    #expect(started.status == 0, "\(started.stderr)")
    let answer = try Harness.run(
      "/usr/bin/curl", ["-s", "-S", "-m", "90", "http://127.0.0.1:\(port)/hello"],
      timeout: .seconds(100))
    #expect(answer.status == 0, "\(answer.stderr)")
    #expect(answer.stdout == "hello world", "\(answer.stderr)")
  }

  /// Two quick `run -d` on one host port: the second is refused at once (the
  /// first's QEMU already listens), and leaves no container and no QEMU behind.
  @Test func aSecondDetachedRunOnTheSamePortFailsAtOnce() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let port = try Loopback.freePort()
    let (first, second) = (scratch.name("first"), scratch.name("second"))
    let started = try runHTTPD(scratch, name: first, port: port)
    defer { _ = try? scratch.runtime(["rm", "-f", first]) }
    #expect(started.status == 0, "\(started.stderr)")
    let refused = try runHTTPD(scratch, name: second, port: port)
    defer { _ = try? scratch.runtime(["rm", "-f", second]) }
    #expect(refused.status == 125)
    #expect(
      refused.stderr
        == "hermit-runtime: error: host port \(port)/tcp is already in use (127.0.0.1:\(port))\n")
    #expect(refused.stdout.isEmpty)
    let all = try scratch.runtime(["ps", "-a"]).stdout
    #expect(all.contains(first) && !all.contains(second), "\(all)")
    #expect(Harness.pgrep("hermit-\(second)").isEmpty)
  }

  /// The PCI NICs: rtl8139 on `pc` with qboot, virtio-net-pci behind microvm's PCIe
  /// host bridge; each answers curl through its own QEMU command line.
  @Test(arguments: [
    ("rtl8139", ["\"pc\"", "rtl8139,netdev=net0", "qboot.rom"]),
    ("virtio-pci", ["\"microvm,pcie=on\"", "virtio-net-pci,disable-legacy=on,netdev=net0"]),
  ])
  func runWithAPCINICCurlGetsHelloWorld(nic: String, commandLine: [String]) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let port = try Loopback.freePort()
    let name = scratch.name(nic)
    let started = try runHTTPD(scratch, name: name, port: port, flags: ["--nic", nic])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    let answer = curlUntilAnswered("http://127.0.0.1:\(port)/hello")
    #expect(answer?.stdout == "hello world", "\(answer?.stderr ?? "")")
    let inspected = try scratch.runtime(["inspect", name])
    for part in commandLine {
      #expect(inspected.stdout.contains(part), "\(part) in \(inspected.stdout)")
    }
    let logs = try scratch.runtime(["logs", name])
    #expect(logs.stdout.contains("[0][INFO] IP address: 10.0.2.15/24"), "\(logs.stdout)")
    #expect(logs.stdout.contains("[httpd] GET /hello HTTP/1.1"))
  }

  @Test func runRefusesAnUnknownNIC() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["run", "--nic", "e1000", try image()])
    #expect(result.status == 125, "\(result.stderr)")
    #expect(result.stderr.contains("unknown --nic e1000 (virtio or rtl8139)"), "\(result.stderr)")
  }

  @Test func runOnATapOnABridgeGetsDHCPFromDnsmasqAndAnswersCurl() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let namespace = "hermit-rt-\(UInt32.random(in: 0...UInt32.max))"
    let bridge = "hbrtest"
    func inNamespace(_ command: [String]) throws -> Harness.Result {
      try Harness.run("/usr/bin/ip", ["netns", "exec", namespace] + command)
    }
    #expect(try Harness.run("/usr/bin/ip", ["netns", "add", namespace]).status == 0)
    defer { _ = try? Harness.run("/usr/bin/ip", ["netns", "del", namespace]) }
    for command in [
      ["ip", "link", "set", "lo", "up"], ["ip", "link", "add", bridge, "type", "bridge"],
      ["ip", "addr", "add", "192.168.79.1/24", "dev", bridge], ["ip", "link", "set", bridge, "up"],
    ] {
      let result = try inNamespace(command)
      try #require(result.status == 0, "\(command): \(result.stderr)")
    }
    let dnsmasq = try Harness.start(
      "/usr/bin/ip",
      [
        "netns", "exec", namespace, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
        "--interface=\(bridge)", "--bind-interfaces",
        "--dhcp-range=192.168.79.50,192.168.79.60,255.255.255.0,1h", "--leasefile-ro",
        "--pid-file=",
      ])
    defer {
      kill(dnsmasq.pid, SIGKILL)
      _ = Harness.finish(dnsmasq, timeout: .seconds(5))
    }
    let name = scratch.name("tapweb")
    let started = try Harness.run(
      "/usr/bin/ip",
      ["netns", "exec", namespace, Harness.runtime, "run", "-d", "--name", name, "--net", "tap"]
        + [try image()], environment: scratch.environment.merging(["HERMIT_BRIDGE": bridge]) { $1 })
    #expect(started.status == 0, "\(started.stderr)")
    defer {
      _ = try? Harness.run(
        "/usr/bin/ip", ["netns", "exec", namespace, Harness.runtime, "rm", "-f", name],
        environment: scratch.environment)
    }
    var address: String?
    var logs = ""
    _ = Harness.waitUntil(timeout: .seconds(60)) {
      logs = (try? scratch.runtime(["logs", name]))?.stdout ?? ""
      address = logs.split(separator: "\n").first { $0.hasPrefix("[0][INFO] IP address: ") }
        .map { String($0.dropFirst("[0][INFO] IP address: ".count).prefix { $0 != "/" }) }
      return address != nil && logs.contains("Now listening on port 8000")
    }
    let guest = try #require(address, "the guest got no address")
    // The seed's lines: the address came by DHCP.
    #expect(logs.contains("[0][INFO] DHCP config acquired!\n"), "\(logs)")
    #expect(logs.contains("[0][INFO] Default gateway: 192.168.79.1\n"), "\(logs)")
    #expect(guest.hasPrefix("192.168.79.5") || guest == "192.168.79.60")
    let answer = curlUntilAnswered("http://\(guest):8000/hello", namespace: namespace)
    #expect(answer?.stdout == "hello world", "\(answer?.stderr ?? "")")
  }

  @Test(.enabled(if: Harness.tool("podman")))
  func podmanPublishesThePortOfAHermitHTTPD() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    func podman(_ arguments: [String]) throws -> Harness.Result {
      try EcosystemTests().podman(scratch, arguments)
    }
    let loaded = try podman(["load", "-i", try image()])
    #expect(loaded.status == 0, "\(loaded.stderr)")
    let port = try Loopback.freePort()
    let name = scratch.name("pweb")
    let started = try podman([
      "run", "-d", "--name", name, "-p", "127.0.0.1:\(port):8000", "--os", "hermit", "--runtime",
      Harness.runtime, "hermit-test-httpd:latest",
    ])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = try? podman(["rm", "-f", "-t", "0", name]) }
    let answer = curlUntilAnswered("http://127.0.0.1:\(port)/hello")
    #expect(answer?.stdout == "hello world", "\(answer?.stderr ?? "")")
    let logs = try podman(["logs", name])
    #expect(logs.stdout.contains("Now listening on port 8000"), "\(logs.stdout)\(logs.stderr)")
  }
}
