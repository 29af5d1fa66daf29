import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `create` rewires only a network namespace that belongs to the container alone
/// (issue 12): never the host's, the runtime's own, one with other processes in it,
/// or one another container already uses. Every namespace with addresses here is
/// one the test creates and deletes; the host's is only compared before and after.
@Suite(
  .serialized,
  .enabled(
    if: Harness.guestsBuilt && Harness.isRoot && Harness.tool("ip") && Harness.tool("nsenter"),
    "needs build/ guests, root, ip and nsenter"))
struct NetworkNamespaceTests {
  /// `ip ARGS`, optionally inside namespace `namespace` (`ip -n`).
  @discardableResult
  static func ip(_ arguments: [String], in namespace: String? = nil) throws -> Harness.Result {
    try Harness.run("/usr/bin/env", ["ip"] + (namespace.map { ["-n", $0] } ?? []) + arguments)
  }

  /// Interfaces (name → flags, master, MTU, MAC and addresses) and routes of a
  /// namespace, from `ip -j addr` and `ip -j route`, without lifetimes, counters,
  /// carrier and IPv6 link-local addresses (the kernel's, not a wiring's). Equal
  /// snapshots of a namespace the test owns mean nobody rewired it.
  struct Snapshot: Equatable, CustomStringConvertible {
    var interfaces: [String: String] = [:]
    var routes: Set<String> = []
    /// Per interface: its master (or "-") and its addresses of global scope.
    var masters: [String: String] = [:]
    var globalAddresses: [String: Set<String>] = [:]
    /// Route devices by route, for the host's comparison.
    var routeDevices: [String: String] = [:]

    init(namespace: String? = nil) throws {
      let addresses = try NetworkNamespaceTests.ip(["-j", "addr", "show"], in: namespace)
      let links =
        try JSONSerialization.jsonObject(with: Data(addresses.stdout.utf8)) as? [[String: Any]]
        ?? []
      for link in links {
        guard let name = link["ifname"] as? String else { continue }
        let info = link["addr_info"] as? [[String: Any]] ?? []
        // Left out: what the kernel does on its own once a link is wired, at a
        // time of its choosing (a bridge gains its carrier when a port comes up,
        // then an IPv6 link-local address once duplicate detection is done).
        let addressInfo = info.filter {
          !(($0["family"] as? String) == "inet6" && ($0["scope"] as? String) == "link")
        }.map { "\($0["family"] ?? "")/\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
        let flags = (link["flags"] as? [String] ?? []).filter {
          $0 != "NO-CARRIER" && $0 != "LOWER_UP"
        }
        interfaces[name] =
          "flags=\(flags) master=\(link["master"] ?? "-") mtu=\(link["mtu"] ?? "")"
          + " mac=\(link["address"] ?? "") addr=\(addressInfo.joined(separator: ","))"
        masters[name] = link["master"] as? String ?? "-"
        globalAddresses[name] = Set(
          info.filter { ($0["scope"] as? String) != "link" && ($0["scope"] as? String) != "host" }
            .map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" })
      }
      let routeList = try NetworkNamespaceTests.ip(["-j", "route", "show"], in: namespace)
      let entries =
        try JSONSerialization.jsonObject(with: Data(routeList.stdout.utf8)) as? [[String: Any]]
        ?? []
      for route in entries {
        let data = try JSONSerialization.data(withJSONObject: route, options: [.sortedKeys])
        let text = String(decoding: data, as: UTF8.self)
        routes.insert(text)
        routeDevices[text] = route["dev"] as? String
      }
    }

    /// A snapshot once the kernel has finished what a wiring set in motion: a new
    /// bridge gains its carrier and IPv6 link-local address a little later, so a
    /// snapshot taken right after `create` can differ from one a moment after
    /// without anybody touching the namespace. Waits (up to 5 s) for two snapshots
    /// 250 ms apart to agree.
    static func settled(namespace: String) throws -> Snapshot {
      var previous = try Snapshot(namespace: namespace)
      for _ in 0..<20 {
        usleep(250_000)
        let next = try Snapshot(namespace: namespace)
        if next == previous { return next }
        previous = next
      }
      return previous
    }

    static func == (a: Snapshot, b: Snapshot) -> Bool {
      a.interfaces == b.interfaces && a.routes == b.routes
    }

    /// The host's: other suites on this machine run at the same time and add,
    /// raise and remove interfaces and routes of their own (veths, CNI and podman
    /// bridges), so this checks what rewiring would break, not every flag: no
    /// interface that existed lost a global address or changed master (an
    /// interface may vanish only if it had no global address), no bridge or tap of
    /// the runtime appeared, and the routes of every interface that carries a
    /// default route are exactly as they were.
    func hostMatches(_ after: Snapshot) -> Bool {
      let interfacesKept = globalAddresses.allSatisfy { name, addresses in
        guard let now = after.globalAddresses[name] else { return addresses.isEmpty }
        return addresses.isSubset(of: now) && after.masters[name] == masters[name]
      }
      let uplinks = Set(
        routes.filter { $0.contains("\"dst\":\"default\"") }.compactMap { routeDevices[$0] })
      func uplinkRoutes(_ snapshot: Snapshot) -> Set<String> {
        snapshot.routes.filter { snapshot.routeDevices[$0].map(uplinks.contains) ?? false }
      }
      return interfacesKept
        && after.interfaces[NetworkNamespaceNames.bridge] == nil
        && after.interfaces[NetworkNamespaceNames.tap] == nil
        && uplinkRoutes(self) == uplinkRoutes(after)
    }

    var description: String { "\(interfaces.sorted { $0.key < $1.key }) \(routes.sorted())" }
  }

  enum NetworkNamespaceNames {
    static let bridge = "hbr0"
    static let tap = "htap0"
  }

  /// A throwaway namespace with a veth pair (both ends inside it) whose `eth0`
  /// holds `10.124.<n>.5/24` and a default route, like podman's or a host's.
  struct ThrowawayNamespace {
    let name: String
    var path: String { "/run/netns/\(name)" }

    init(_ scratch: Scratch, subnet: Int) throws {
      name = "hermit-ns-\(scratch.url.lastPathComponent.suffix(8).lowercased())"
      try #require(try ip(["netns", "add", name]).status == 0)
      for command in [
        ["link", "add", "eth0", "type", "veth", "peer", "name", "eth1"],
        ["addr", "add", "10.124.\(subnet).5/24", "dev", "eth0"],
        ["link", "set", "eth0", "up"], ["link", "set", "eth1", "up"], ["link", "set", "lo", "up"],
        ["route", "add", "default", "via", "10.124.\(subnet).1"],
      ] {
        let result = try ip(command, in: name)
        try #require(result.status == 0, "ip \(command): \(result.stderr)")
      }
    }

    func delete() { _ = try? ip(["netns", "delete", name]) }

    /// Starts `program` (default: sleep) inside the namespace; returns its pid.
    func spawn(_ program: String = "/bin/sleep") throws -> Harness.Running {
      try Harness.start("/usr/bin/nsenter", ["--net=\(path)", program, "300"])
    }
  }

  /// Runs a spinning guest through create, start and `delete --force` with a bundle
  /// naming `namespace`; returns create's stderr. `launcher` prefixes every runtime
  /// call (e.g. `ip netns exec X`).
  func runContainer(
    _ scratch: Scratch, namespace: String?, launcher: [String] = [], id base: String,
    whileRunning: () throws -> Void = {}
  ) throws -> String {
    let bundle = try OCITests().makeBundle(
      in: scratch, app: "guests/spin", args: [], networkNamespace: namespace)
    let root = scratch.path("root")
    let id = scratch.name(base)
    func runtime(_ arguments: [String]) throws -> Harness.Result {
      let command = launcher + [Harness.runtime, "--root", root] + arguments
      return try Harness.run(
        command[0], Array(command.dropFirst()), environment: scratch.environment)
    }
    let created = try runtime(["create", "--bundle", bundle, id])
    #expect(created.status == 0, "\(created.stderr)")
    defer {
      #expect((try? runtime(["delete", "--force", id]))?.status == 0)
      #expect(Harness.waitUntil(timeout: .seconds(10)) { Harness.pgrep("hermit-\(id)").isEmpty })
    }
    #expect(try runtime(["start", id]).status == 0)
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(id)").isEmpty }, "QEMU must run")
    try whileRunning()
    return created.stderr
  }

  @Test(arguments: ["/proc/1/ns/net", "/proc/self/ns/net", nil] as [String?])
  func theHostsNamespaceIsLeftExactlyAsItWas(namespace: String?) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let before = try Snapshot()
    let stderr = try runContainer(scratch, namespace: namespace, id: "hostns") {
      let during = try Snapshot()
      #expect(before.hostMatches(during), "before: \(before)\nduring: \(during)")
    }
    let after = try Snapshot()
    #expect(before.hostMatches(after), "before: \(before)\nafter: \(after)")
    if namespace != nil {
      #expect(stderr.contains("left untouched"), "\(stderr)")
      #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)")
    }
  }

  @Test func aNamespaceWithAnotherProcessInItIsLeftExactlyAsItWas() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let host = try ThrowawayNamespace(scratch, subnet: 1)
    defer { host.delete() }
    let sleeper = try host.spawn()
    defer {
      kill(sleeper.pid, SIGKILL)
      _ = Harness.finish(sleeper)
    }
    #expect(Harness.waitUntil { NetworkNamespaceTests.command(of: sleeper.pid) == "sleep" })
    let before = try Snapshot(namespace: host.name)
    let stderr = try runContainer(
      scratch, namespace: "/proc/\(sleeper.pid)/ns/net", id: "sleepns"
    ) {
      let during = try Snapshot(namespace: host.name)
      #expect(during == before)
    }
    #expect(try Snapshot(namespace: host.name) == before)
    #expect(stderr.contains("process \(sleeper.pid) (sleep) runs in it"), "\(stderr)")
  }

  /// The throwaway namespace stands in for the host: the runtime itself runs in it.
  @Test(arguments: ["/proc/self/ns/net", "/proc/1/ns/net"])
  func aRuntimeInsideAStandInHostLeavesItExactlyAsItWas(namespace: String) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let host = try ThrowawayNamespace(scratch, subnet: 2)
    defer { host.delete() }
    let before = try Snapshot(namespace: host.name)
    let hostBefore = try Snapshot()
    let stderr = try runContainer(
      scratch, namespace: namespace, launcher: ["/usr/bin/nsenter", "--net=\(host.path)"],
      id: "standin"
    ) {
      let during = try Snapshot(namespace: host.name)
      #expect(during == before)
    }
    #expect(try Snapshot(namespace: host.name) == before)
    #expect(hostBefore.hostMatches(try Snapshot()))
    #expect(stderr.contains("left untouched"), "\(stderr)")
  }

  @Test func aNamespaceAnotherContainerWiredIsNotWiredTwice() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let pod = try ThrowawayNamespace(scratch, subnet: 3)
    defer { pod.delete() }
    let root = scratch.path("root-first")
    let first = scratch.name("first")
    let bundle = try OCITests().makeBundle(
      in: scratch, app: "guests/spin", args: [], networkNamespace: pod.path)
    #expect(try scratch.runtime(["--root", root, "create", "--bundle", bundle, first]).status == 0)
    defer { _ = try? scratch.runtime(["--root", root, "delete", "--force", first]) }
    let wired = try Snapshot.settled(namespace: pod.name)
    #expect(wired.interfaces[NetworkNamespaceNames.bridge] != nil)
    let second = scratch.name("second")
    let created = try scratch.runtime(["--root", root, "create", "--bundle", bundle, second])
    defer { _ = try? scratch.runtime(["--root", root, "delete", "--force", second]) }
    #expect(created.status == 0, "\(created.stderr)")
    #expect(created.stderr.contains("container \(first) uses it"), "\(created.stderr)")
    let after = try Snapshot(namespace: pod.name)
    #expect(after == wired, "before: \(wired)\nafter: \(after)")
    let inspect = try scratch.runtime(["--root", root, "inspect", second])
    #expect(!inspect.stdout.contains("htap0"), "\(inspect.stdout)")
  }

  @Test func aPodsNamespaceHoldingOnlyItsPauseProcessIsWired() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let pod = try ThrowawayNamespace(scratch, subnet: 4)
    defer { pod.delete() }
    // A process whose comm is `pause`, like the CRI sandbox's.
    let pause = scratch.path("pause")
    try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: pause)
    let sandbox = try pod.spawn(pause)
    defer {
      kill(sandbox.pid, SIGKILL)
      _ = Harness.finish(sandbox)
    }
    #expect(Harness.waitUntil { NetworkNamespaceTests.command(of: sandbox.pid) == "pause" })
    let stderr = try runContainer(
      scratch, namespace: "/proc/\(sandbox.pid)/ns/net", id: "podns"
    ) {
      let tap = try NetworkNamespaceTests.ip(["-j", "link", "show", "htap0"], in: pod.name)
      #expect(tap.stdout.contains("\"master\":\"hbr0\""), "\(tap.stdout)")
      let eth0 = try NetworkNamespaceTests.ip(["-j", "addr", "show", "eth0"], in: pod.name)
      #expect(!eth0.stdout.contains("10.124.4.5"), "the guest, not eth0, owns the address")
    }
    #expect(!stderr.contains("left untouched"), "\(stderr)")
  }

  static func command(of pid: Int32) -> String? {
    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
