import Foundation
import Testing

@testable import HermitQEMU

@Suite struct AcceleratorProbeTests {
  @Test func tcgNeedsNoProbe() throws {
    let probe = AcceleratorProbe(cacheDirectory: nil, kvmDevice: "/nonexistent/kvm")
    #expect(try probe.resolve(.tcg) == .tcg)
  }

  @Test func autoFallsBackToTCGWithoutAKVMDevice() throws {
    let probe = AcceleratorProbe(cacheDirectory: nil, kvmDevice: "/nonexistent/kvm")
    #expect(try probe.resolve(.auto) == .tcg)
  }

  @Test func askingForKVMWithoutTheDeviceIsAClearError() {
    let probe = AcceleratorProbe(cacheDirectory: nil, kvmDevice: "/nonexistent/kvm")
    #expect(throws: HermitQEMUError.self) { try probe.resolve(.kvm) }
  }

  @Test func aHangingProbeMeansTCGAndTheAnswerIsCached() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    // A "QEMU" that hangs like QEMU under broken KVM and counts its runs, and a
    // readable device node.
    let runs = directory.path("runs")
    let fake = try directory.script("fake-qemu", "echo run >> '\(runs)'; exec sleep 60")
    FileManager.default.createFile(atPath: directory.path("kvm"), contents: Data())
    let probe = AcceleratorProbe(
      cacheDirectory: directory.url, qemu: fake, timeout: .milliseconds(500),
      kvmDevice: directory.path("kvm"))
    #expect(try probe.resolve(.auto) == .tcg)
    let cache = try String(contentsOfFile: directory.path("accel-probe.json"), encoding: .utf8)
    #expect(cache.contains("tcg"))
    // The second answer comes from the cache: the fake runs once in all.
    #expect(try probe.resolve(.auto) == .tcg)
    #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n")
  }

  @Test func theProbeGuestRunsSSEUnderTCG() throws {
    // The probe's success path, checked under TCG (KVM fails on SSE on these hosts).
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let kernel = directory.path("probe")
    FileManager.default.createFile(atPath: kernel, contents: Data(ProbeGuest.bytes))
    let configuration = VMConfiguration(
      name: "probe-test", loader: kernel, app: kernel, commandLine: "", memoryMiB: 16,
      statusFile: directory.path("status"))
    var options = Supervisor.Options()
    options.timeout = .seconds(20)
    options.handleSignals = false
    options.console = .null
    let outcome = try Supervisor.run(
      QEMUCommand(configuration), statusFile: configuration.statusFile, options: options)
    #expect(outcome.termination == .exited(ProbeGuest.successStatus))
  }

  @Test func theCacheKeyNamesKernelAndQEMU() throws {
    let key = try #require(AcceleratorProbe(cacheDirectory: nil).cacheKey())
    #expect(key.contains("qemu-system-x86_64"))
    #expect(key.split(separator: "|").count == 4)
  }
}
