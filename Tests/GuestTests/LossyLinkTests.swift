import Foundation
import HermitQEMU
import Testing

/// The guest's TCP over a bad link (issue 20): examples/httpd on a tap, behind
/// scripts/lossy-forward.py (drops, reorders and duplicates frames, seeded),
/// reached with curl from a client namespace. Both namespaces are the test's own
/// (scripts/lossy-link.sh), so nothing leaves the machine.
///
/// The accelerator is `HERMIT_TEST_ACCEL` (`tcg`, `kvm` or `auto`, the default:
/// KVM where the runtime's probe says it runs our guests, else TCG); the test
/// passes under TCG alone.
@Suite(.serialized, .enabled(if: LossyLink.canRun, "needs root and build/ (make)"))
struct LossyLinkTests {
  static let accelerator: Accelerator = {
    let choice =
      ProcessInfo.processInfo.environment["HERMIT_TEST_ACCEL"].flatMap(AcceleratorChoice.init)
      ?? .auto
    return (try? AcceleratorProbe(cacheDirectory: nil).resolve(choice)) ?? .tcg
  }()

  @Test func tenMegabytesCrossALinkThatDropsReordersAndDuplicatesIntact() throws {
    let size = 10 << 20
    let link = try LossyLink(subnet: "192.168.92")
    defer { link.remove() }
    let forwarder = try link.startForwarder(loss: 0.05, reorder: 0.05, duplicate: 0.02, seed: 20)
    var forwarderRunning = true
    defer { if forwarderRunning { _ = link.stop(forwarder) } }

    var fetched: (status: Int32, output: String) = (-1, "")
    var counters = ""
    let run = try GuestBoot.boot(
      "httpd", append: link.guestCommandLine, network: .tap(name: link.tap),
      namespace: link.forwarderNamespace, accelerator: Self.accelerator, timeout: 300
    ) { output in
      try #require(
        GuestBoot.waitForOutput(output, containing: "Now listening on port 8000", timeout: 120))
      fetched = link.runInClient([
        "curl", "-s", "-S", "-m", "180", "-o", link.bodyFile.path, "-w", "%{time_total}",
        "http://\(link.guestAddress):8000/bytes/\(size)",
      ])
      counters =
        link.runInClient([
          "curl", "-s", "-S", "-m", "30", "http://\(link.guestAddress):8000/stats",
        ]).output
    }
    forwarderRunning = false
    let stats = link.stop(forwarder)

    #expect(fetched.status == 0, "curl: \(fetched.output)\n\(run.output)")
    let body = (try? Data(contentsOf: link.bodyFile)) ?? Data()
    let expected = Data((0..<size).map { UInt8(ascii: "0") + UInt8($0 % 10) })
    #expect(body.count == size, "\(run.output)")
    if body != expected {
      let first =
        zip(body, expected).enumerated().first { $1.0 != $1.1 }?.offset ?? min(body.count, size)
      Issue.record("the body differs from /bytes/\(size)'s from byte \(first) on")
    }
    // The link was as bad as asked, both ways, and the guest recovered with SACK
    // (recoveries), not only by timeouts.
    #expect(stats.count == 2, "forwarder stats: \(stats)")
    for direction in stats.values {
      #expect((direction["dropped"] ?? 0) > 0, "\(stats)")
      #expect((direction["reordered"] ?? 0) > 0, "\(stats)")
      #expect((direction["duplicated"] ?? 0) > 0, "\(stats)")
    }
    let recoveries = counters.split(separator: "\n")
      .first { $0.hasPrefix("recoveries ") }.flatMap { Int($0.dropFirst("recoveries ".count)) }
    #expect((recoveries ?? 0) > 0, "guest counters: \(counters)")
    print(
      "lossy link (\(Self.accelerator)): \(size) bytes in \(fetched.output) s;",
      "guest: \(counters.split(separator: "\n").joined(separator: ", "));",
      "forwarder: \(stats)")
  }
}

/// scripts/lossy-link.sh's two namespaces: the forwarder's (QEMU's tap `htap0`
/// and a veth end, bridged by scripts/lossy-forward.py) and the client's (the
/// other veth end, SUBNET.1). The guest is SUBNET.2. `remove()` deletes both.
struct LossyLink {
  static let scripts = GuestBoot.repository.appendingPathComponent("scripts")
  static var canRun: Bool {
    getuid() == 0 && FileManager.default.fileExists(atPath: GuestBoot.loader.path)
      && FileManager.default.fileExists(atPath: GuestBoot.app("httpd").path)
  }

  let name = "hermit-lossy-\(UInt32.random(in: 0...UInt32.max))"
  let tap = "htap0"
  let subnet: String
  let scratch: URL
  var forwarderNamespace: String { "\(name)-fwd" }
  var clientNamespace: String { "\(name)-cli" }
  var guestAddress: String { "\(subnet).2" }
  var guestCommandLine: String { "ip=\(subnet).2/24 gateway=\(subnet).1" }
  var bodyFile: URL { scratch.appendingPathComponent("body") }
  var statsFile: URL { scratch.appendingPathComponent("forwarder-stats") }

  init(subnet: String) throws {
    self.subnet = subnet
    scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-lossy-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    let result = TestNamespace.execute([
      Self.scripts.appendingPathComponent("lossy-link.sh").path, "up", name, subnet,
    ])
    guard result.status == 0 else {
      try? FileManager.default.removeItem(at: scratch)
      throw TestNamespace.SetupFailed(message: "lossy-link.sh up: \(result.output)")
    }
  }

  func remove() {
    _ = TestNamespace.execute([
      Self.scripts.appendingPathComponent("lossy-link.sh").path, "down", name,
    ])
    try? FileManager.default.removeItem(at: scratch)
  }

  /// Starts the forwarder between the tap and the veth; `stop` ends it.
  func startForwarder(loss: Double, reorder: Double, duplicate: Double, seed: Int) throws -> Int32 {
    try TestNamespace.start(
      [
        "/usr/bin/python3", Self.scripts.appendingPathComponent("lossy-forward.py").path, tap,
        "lfwd0", "--loss", "\(loss)", "--reorder", "\(reorder)", "--duplicate", "\(duplicate)",
        "--seed", "\(seed)", "--stats", statsFile.path,
      ], in: forwarderNamespace)
  }

  /// Stops the forwarder (SIGTERM: it writes its stats; SIGKILL after 10 s) and
  /// returns its stats, keyed by direction ("htap0>lfwd0" is the guest's traffic).
  func stop(_ forwarder: Int32) -> [String: [String: Int]] {
    kill(forwarder, SIGTERM)
    var status: Int32 = 0
    var reaped = false
    for _ in 0..<1000 {
      if waitpid(forwarder, &status, WNOHANG) != 0 {
        reaped = true
        break
      }
      usleep(10_000)
    }
    if !reaped {
      kill(forwarder, SIGKILL)
      _ = waitpid(forwarder, &status, 0)
    }
    let text = (try? String(contentsOf: statsFile, encoding: .utf8)) ?? ""
    var stats: [String: [String: Int]] = [:]
    for line in text.split(separator: "\n") {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let direction = object["direction"] as? String
      else { continue }
      stats[direction] = object.compactMapValues { $0 as? Int }
    }
    return stats
  }

  /// Runs `command` in the client's namespace.
  func runInClient(_ command: [String]) -> (status: Int32, output: String) {
    TestNamespace.execute(["ip", "netns", "exec", clientNamespace] + command)
  }
}
