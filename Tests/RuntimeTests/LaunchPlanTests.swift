import BootFormat
import Foundation
import HermitOCI
import HermitQEMU
import Testing

@testable import Runtime

/// Image metadata and config merged with the user's flags (flags win), without
/// booting anything.
@Suite struct LaunchPlanTests {
  /// A rootfs with hermit/loader and hermit/app (their contents do not matter here).
  func rootfs(_ scratch: Scratch, app: String = "hermit/app") throws -> String {
    for file in ["hermit/loader", app] {
      let url = scratch.url.appendingPathComponent("rootfs/" + file)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data("x".utf8).write(to: url)
    }
    return scratch.path("rootfs")
  }

  func plan(
    _ rootfs: String, entrypoint: [String] = [], cmd: [String] = [], env: [String] = [],
    metadata: HermitMetadata = HermitMetadata()
  ) -> LaunchPlan {
    LaunchPlan(
      image: PreparedImage(
        reference: "test", manifestDigest: nil, rootfs: rootfs, entrypoint: entrypoint, cmd: cmd,
        env: env),
      metadata: metadata)
  }

  func kernelLine(_ plan: LaunchPlan) throws -> (options: KernelOptions, arguments: [String]) {
    KernelCommandLine.parse(try plan.configuration(name: "t", statusFile: "status").commandLine)
  }

  @Test(
    arguments: [
      // entrypoint, cmd, flags' arguments (nil: none given), the app's argv after argv[0]
      ([], ["a", "b"], nil, ["a", "b"]),
      ([], ["a", "b"], ["c"], ["c"]),
      (["/hermit/app", "-v"], ["a"], nil, ["-v", "a"]),
      (["/hermit/app", "-v"], ["a"], ["x", "y"], ["-v", "x", "y"]),
      (["hermit/app"], [], [], []),
      ([], ["/hermit/app", "serve"], nil, ["serve"]),
    ] as [([String], [String], [String]?, [String])])
  func argumentsReplaceCmdKeepEntrypointAndDropTheAppPath(
    entrypoint: [String], cmd: [String], arguments: [String]?, expected: [String]
  ) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    var plan = plan(try rootfs(scratch), entrypoint: entrypoint, cmd: cmd)
    plan.arguments = arguments
    #expect(plan.appArguments == expected)
    #expect(try kernelLine(plan).arguments == expected)
  }

  @Test func aCustomAppPathIsDroppedToo() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let plan = plan(
      try rootfs(scratch, app: "bin/server"), entrypoint: ["/bin/server", "--port", "80"],
      metadata: HermitMetadata(app: "bin/server"))
    #expect(plan.appArguments == ["--port", "80"])
  }

  @Test func flagEnvironmentOverridesTheImagesByNameInFirstSeenOrder() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    var plan = plan(try rootfs(scratch), env: ["PATH=/", "HOME=/root", "A=1"])
    plan.environment = ["B=2", "HOME=/home", "A=3"]
    #expect(plan.mergedEnvironment == ["PATH=/", "HOME=/home", "A=3", "B=2"])
    // The environment goes to the guest through fw_cfg, never the command line.
    let vm = try plan.configuration(name: "t", statusFile: "status")
    #expect(vm.environment == plan.mergedEnvironment)
    #expect(KernelCommandLine.parse(vm.commandLine).options.environment.isEmpty)
    #expect(!vm.commandLine.contains("HOME"))
  }

  @Test func theEnvironmentFileIsTheQuotedTokensModeSixHundredAndNeverFollowsALink() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    var plan = plan(try rootfs(scratch))
    plan.environment = ["A=b c", "Q=\"x\\"]
    var vm = try plan.configuration(name: "t", statusFile: "status")
    let path = scratch.path("environment")
    // A link planted where the file goes is replaced, not written through.
    let victim = scratch.path("victim")
    try Data("keep".utf8).write(to: URL(fileURLWithPath: victim))
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: victim)
    try vm.writeEnvironmentFile(at: path, owner: nil)
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep")
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(KernelCommandLine.parse(text).options.environment == ["A=b c", "Q=\"x\\"])
    var info = stat()
    #expect(lstat(path, &info) == 0 && info.st_mode & 0o7777 == 0o600)
    #expect(vm.environmentFile == path)
    let argv = QEMUCommand(vm).arguments
    #expect(argv.contains("name=opt/org.hermit/env,file=\(path)"))
    #expect(!argv.joined(separator: " ").contains("A=b c"))
  }

  @Test func theImagesCPUsAndMemoryApplyUnlessFlagsSayOtherwise() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    var plan = plan(try rootfs(scratch), metadata: HermitMetadata(cpus: 2, memoryMiB: 96))
    var configuration = try plan.configuration(name: "t", statusFile: "status")
    #expect(configuration.cpus == 2)
    #expect(configuration.memoryMiB == 96)
    plan.cpus = 4
    plan.memoryMiB = 128
    plan.quiet = true
    configuration = try plan.configuration(name: "t", statusFile: "status")
    #expect(configuration.cpus == 4)
    #expect(configuration.memoryMiB == 128)
    #expect(try kernelLine(plan).options.quiet)
  }

  @Test(arguments: [0, -1, 256])
  func aCPUCountOutOfRangeIsRefused(cpus: Int) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    var plan = plan(try rootfs(scratch))
    plan.cpus = cpus
    #expect(throws: RuntimeError.self) { try plan.configuration(name: "t", statusFile: "s") }
  }

  @Test func aMissingAppIsRefusedByPath() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let rootfs = try rootfs(scratch)
    try FileManager.default.removeItem(atPath: rootfs + "/hermit/app")
    do {
      _ = try plan(rootfs).configuration(name: "t", statusFile: "s")
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("missing file: \(rootfs)/hermit/app"))
    }
  }

  @Test func moreMemoryThanTheHostHasIsRefused() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let host = try #require(LaunchPlan.hostMemoryMiB)
    var plan = plan(try rootfs(scratch))
    plan.memoryMiB = host + 1024
    do {
      _ = try plan.configuration(name: "t", statusFile: "s")
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("is more than this host's \(host)M of RAM"))
    }
  }

  @Test(arguments: [(64, "64M"), (96, "96M"), (1024, "1G"), (3072, "3G"), (1536, "1536M")])
  func memoryIsShownInItsLargestWholeUnit(mib: Int, shown: String) {
    #expect(LaunchPlan.shown(mib: mib) == shown)
  }

  /// `run`'s flags, parsed as the CLI parses them, become the plan.
  @Test func runFlagsBecomeThePlan() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let rootfs = try rootfs(scratch)
    let run = try Run.parse([
      "--cpus", "3", "--memory", "1G", "-e", "K=V", "-q", "--accel", "tcg", "-p", "8080:80",
      rootfs, "--", "a", "b",
    ])
    let plan = try run.makePlan()
    #expect(plan.cpus == 3)
    #expect(plan.memoryMiB == 1024)
    #expect(plan.environment == ["K=V"])
    #expect(plan.quiet)
    #expect(plan.accelerator == .tcg)
    #expect(plan.arguments == ["a", "b"])
    #expect(plan.network == .user(ports: [try PortMapping(parsing: "8080:80")]))
  }

  /// User networking's addresses are QEMU's, fixed on `-netdev user`: the
  /// guest gets them on its command line instead of asking DHCP. A tap on a
  /// bridge leaves the guest to DHCP; a network namespace's address wins.
  @Test(
    arguments: [
      (VMConfiguration.Network.user(ports: []), nil, "10.0.2.15/24", "10.0.2.2", "10.0.2.3"),
      (.tap(name: "htap0"), nil, nil, nil, nil),
      (.tap(name: "htap0"), "10.88.0.5/16", "10.88.0.5/16", "10.88.0.1", nil),
      (.none, nil, nil, nil, nil),
    ] as [(VMConfiguration.Network, String?, String?, String?, String?)])
  func theGuestIsToldItsAddressWhenTheRuntimeKnowsIt(
    network: VMConfiguration.Network, given: String?, ip: String?, gateway: String?, dns: String?
  ) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    var plan = plan(try rootfs(scratch))
    plan.network = network
    plan.ip = given
    plan.gateway = given.map { _ in "10.88.0.1" }
    let options = try kernelLine(plan).options
    #expect(options.ip == ip)
    #expect(options.gateway == gateway)
    #expect(options.dns == dns)
  }

  @Test(arguments: [
    (["--net", "none", "-p", "8080:80"], "-p needs --net user"),
    (["--net", "bogus"], "unknown --net bogus"),
    (["--nic", "e1000"], "unknown --nic e1000"),
    (["-e", "=x"], "invalid environment variable"),
  ])
  func badRunFlagsAreRefusedBeforeAnyWork(flags: [String], message: String) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let run = try Run.parse(flags + ["--accel", "tcg", try rootfs(scratch)])
    do {
      _ = try run.makePlan()
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains(message), "\(error)")
    }
  }

  /// The sample RunPrefetch decodes to warm the image cache's decoder is a
  /// whole entry: decoding it goes through every field.
  @Test func theWarmUpSampleIsAWholeImageCacheEntry() throws {
    let sample = try JSONDecoder().decode(PreparedImage.self, from: PreparedImage.warmUpSample)
    #expect(sample.manifestDigest != nil && !sample.entrypoint.isEmpty && !sample.env.isEmpty)
    #expect(sample.cachedMetadata?.exposedPorts == [80])
  }
}
