import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// What the CRI test needs besides guests and root.
private let criToolsPresent: Bool =
  ["containerd", "ctr", "runc", "gcc", "ip"].allSatisfy(Harness.tool)
  && FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge")
  && (try? Harness.run("/usr/bin/python3", ["-c", "import grpc, google.protobuf"]))?.status == 0

/// Kubernetes' path (issue 12): a private containerd with the CRI plugin, handlers
/// `runc` and `hermit` (the runc shim with `BinaryName` = hermit-runtime), driven
/// through the CRI gRPC API as the kubelet drives it (scripts/cri-pod.py). The
/// pod's sandbox is a Linux `pause` (handed to runc), the app a hermit image; pods
/// get a private CNI bridge with no address on the host, or host networking.
@Suite(
  .serialized,
  .enabled(
    if: Harness.guestsBuilt && Harness.isRoot && criToolsPresent,
    "needs build/ guests, root, containerd, ctr, runc, gcc, CNI plugins, python3-grpcio"))
struct CRITests {
  static let script = Harness.repository.appendingPathComponent("scripts/cri-pod.py").path

  /// A private containerd: its own root, state, sockets, CNI configuration and
  /// host-local store, under `scratch`.
  final class Containerd {
    let scratch: Scratch
    let daemon: Harness.Running
    let bridge: String
    var socket: String { scratch.path("ctd/c.sock") }

    init(_ scratch: Scratch) throws {
      self.scratch = scratch
      let suffix = String(scratch.url.lastPathComponent.suffix(6)).lowercased()
      bridge = "hcni\(suffix)"
      for directory in ["ctd", "ctd/cni", "ctd/ipam", "logs"] {
        try FileManager.default.createDirectory(
          atPath: scratch.path(directory), withIntermediateDirectories: true)
      }
      // isGateway false: the bridge holds no address on the host.
      try """
      {"cniVersion": "1.0.0", "name": "hermit-test", "plugins": [
        {"type": "bridge", "bridge": "\(bridge)", "isGateway": false, "ipMasq": false,
         "ipam": {"type": "host-local", "dataDir": "\(scratch.path("ctd/ipam"))",
                  "ranges": [[{"subnet": "10.126.0.0/24", "gateway": "10.126.0.1"}]],
                  "routes": [{"dst": "0.0.0.0/0"}]}}]}
      """.write(
        toFile: scratch.path("ctd/cni/10-hermit.conflist"), atomically: true, encoding: .utf8)
      // restrict_oom_score_adj: root lacks CAP_SYS_RESOURCE on these machines, and
      // runc fails to lower a sandbox's oom_score_adj below its own.
      try """
      version = 2
      root = "\(scratch.path("ctd/root"))"
      state = "\(scratch.path("ctd/state"))"
      [grpc]
        address = "\(scratch.path("ctd/c.sock"))"
      [ttrpc]
        address = "\(scratch.path("ctd/c.sock.ttrpc"))"
      [plugins."io.containerd.grpc.v1.cri"]
        sandbox_image = "docker.io/library/hermit-test-pause:latest"
        stream_server_address = "127.0.0.1"
        stream_server_port = "0"
        restrict_oom_score_adj = true
        [plugins."io.containerd.grpc.v1.cri".containerd]
          default_runtime_name = "runc"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
            runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hermit]
            runtime_type = "io.containerd.runc.v2"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hermit.options]
              BinaryName = "\(Harness.runtime)"
        [plugins."io.containerd.grpc.v1.cri".cni]
          bin_dir = "/usr/lib/cni"
          conf_dir = "\(scratch.path("ctd/cni"))"
      """.write(toFile: scratch.path("ctd/config.toml"), atomically: true, encoding: .utf8)
      daemon = try Harness.start(
        "/usr/bin/env", ["containerd", "--config", scratch.path("ctd/config.toml")])
      let socket = scratch.path("ctd/c.sock")
      guard
        Harness.waitUntil(timeout: .seconds(20), { FileManager.default.fileExists(atPath: socket) })
      else {
        stop()
        throw CocoaError(.fileNoSuchFile)
      }
    }

    func ctr(_ arguments: [String]) throws -> Harness.Result {
      try Harness.run("/usr/bin/env", ["ctr", "--address", socket, "-n", "k8s.io"] + arguments)
    }

    func stop() {
      kill(daemon.pid, SIGTERM)
      _ = Harness.finish(daemon, timeout: .seconds(15))
      _ = try? Harness.run("/usr/bin/env", ["ip", "link", "delete", bridge])
    }
  }

  /// What `cri-pod.py run` reported.
  struct PodRun {
    var lines: [String]
    var steps: [String] { lines.filter { $0.hasPrefix("STEP ") } }
    var log: [String] { lines.filter { $0.hasPrefix("LOG ") }.map { String($0.dropFirst(4)) } }
    func value(_ key: String) -> String? {
      lines.first { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
    }
  }

  func runPod(
    _ containerd: Containerd, image: String, hostNetwork: Bool = false,
    stopRunning: Bool = false, args: [String] = []
  ) throws -> PodRun {
    let logs = containerd.scratch.path("logs/\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    let result = try Harness.run(
      "/usr/bin/python3",
      [Self.script, "run", containerd.socket, logs, "hermit", image]
        + (hostNetwork ? ["--host-network"] : []) + (stopRunning ? ["--stop-running"] : [])
        + ["--"] + args,
      timeout: .seconds(180))
    return PodRun(lines: result.stdout.split(separator: "\n").map(String.init) + [result.stderr])
  }

  /// Builds the sandbox image (a static `pause`) and imports it and the hermit
  /// images into the kubelet's namespace, as the README says.
  func importImages(_ containerd: Containerd) throws {
    let scratch = containerd.scratch
    try """
    #include <signal.h>
    #include <unistd.h>
    static void stop(int s) { (void)s; _exit(0); }
    int main(void) { signal(SIGTERM, stop); signal(SIGINT, stop); for (;;) pause(); }
    """.write(toFile: scratch.path("pause.c"), atomically: true, encoding: .utf8)
    let compiled = try Harness.run(
      "/usr/bin/env",
      ["gcc", "-static", "-Os", "-o", scratch.path("pause"), scratch.path("pause.c")])
    try #require(compiled.status == 0, "\(compiled.stderr)")
    let pause = try Harness.run(
      "/usr/bin/python3",
      [
        Self.script, "pause-image", scratch.path("pause"),
        "docker.io/library/hermit-test-pause:latest", scratch.path("pause.tar"),
      ])
    try #require(pause.status == 0, "\(pause.stderr)")
    let imported = try containerd.ctr(["images", "import", scratch.path("pause.tar")])
    try #require(imported.status == 0, "\(imported.stderr)")
    let images = try #require(Harness.images)
    for image in [images.hello, images.exit, images.spin] {
      let result = try containerd.ctr(["images", "import", "--platform", "hermit/amd64", image])
      try #require(result.status == 0, "\(result.stderr)")
    }
  }

  /// Nothing of a pod is left: no QEMU, mount, cgroup or network namespace.
  func expectNothingLeft(_ containerd: Containerd, _ run: PodRun, netnsBefore: Set<String>) {
    let state = containerd.scratch.path("ctd")
    #expect(Harness.pgrep(state).isEmpty, "a QEMU is left")
    let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    #expect(!mounts.contains(state), "a mount is left")
    for id in [run.value("POD"), run.value("CONTAINER")].compactMap({ $0 }) {
      #expect(
        !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/k8s.io/\(id)")
          && !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/k8s.io/\(id)"),
        "the cgroup of \(id) is left")
    }
    let netns = Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
    #expect(netns.subtracting(netnsBefore).filter { $0.hasPrefix("cni-") }.isEmpty)
  }

  @Test func hermitAppsRunInPodsOnABridgeAndWithHostNetworking() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let netnsBefore = Set(
      (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
    let hostBefore = try NetworkNamespaceTests.Snapshot()
    let containerd = try Containerd(scratch)
    defer { containerd.stop() }
    try importImages(containerd)
    let allSteps = [
      "RunPodSandbox", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer",
      "StopPodSandbox", "RemovePodSandbox",
    ].map { "STEP \($0) ok" }

    let hello = try runPod(containerd, image: "docker.io/library/hermit-test-hello:latest")
    #expect(hello.steps == allSteps, "\(hello.lines)")
    #expect(hello.value("STATE") == "CONTAINER_EXITED")
    #expect(hello.value("EXIT") == "0")
    // The kubelet's format: time, stream, P(artial)/F(ull), text.
    #expect(hello.log.contains { $0.hasSuffix(" stdout F Hello World!") }, "\(hello.log)")
    // The pod's namespace holds only pause: the guest is bridged to its interface.
    #expect(!hello.log.contains { $0.contains("left untouched") }, "\(hello.log)")
    expectNothingLeft(containerd, hello, netnsBefore: netnsBefore)

    let exit = try runPod(
      containerd, image: "docker.io/library/hermit-test-exit:latest", args: ["7"])
    #expect(exit.steps == allSteps, "\(exit.lines)")
    #expect(exit.value("EXIT") == "7")
    #expect(exit.log.contains { $0.hasSuffix(" stdout F exiting with 7") }, "\(exit.log)")
    expectNothingLeft(containerd, exit, netnsBefore: netnsBefore)

    // Host networking: the app container names the host's namespace (the pause
    // process's), which the runtime must leave alone (the guest gets user net).
    let host = try runPod(
      containerd, image: "docker.io/library/hermit-test-hello:latest", hostNetwork: true)
    #expect(host.steps == allSteps, "\(host.lines)")
    #expect(host.value("EXIT") == "0")
    #expect(host.log.contains { $0.hasSuffix(" stdout F Hello World!") }, "\(host.log)")
    #expect(host.log.contains { $0.contains("left untouched, it is the runtime's own") })
    expectNothingLeft(containerd, host, netnsBefore: netnsBefore)

    // StopContainer of a running app: SIGTERM stops the VM (exit 143), and the
    // kill --all that may follow the exit finds a stopped container, which is no
    // error (runc's answer); the pod then goes away as usual.
    let spin = try runPod(
      containerd, image: "docker.io/library/hermit-test-spin:latest", stopRunning: true)
    #expect(spin.value("RUNNING") == "CONTAINER_RUNNING", "\(spin.lines)")
    #expect(spin.steps == allSteps, "\(spin.lines)")
    #expect(spin.value("STATE") == "CONTAINER_EXITED")
    #expect(spin.value("EXIT") == "143", "\(spin.lines)")
    expectNothingLeft(containerd, spin, netnsBefore: netnsBefore)

    containerd.stop()
    let hostAfter = try NetworkNamespaceTests.Snapshot()
    #expect(hostBefore.hostMatches(hostAfter), "before: \(hostBefore)\nafter: \(hostAfter)")
  }
}
