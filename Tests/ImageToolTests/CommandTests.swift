import Foundation
import Testing

@Suite struct CommandTests {
  @Test func listShowsATableAndJSON() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let build = try sandbox.ok(["build", try sandbox.app().path])
    #expect(build.stderr.contains("hermit-image: packing"), "progress on stderr")
    let table = try sandbox.ok(["ls"]).stdout.split(separator: "\n")
    #expect(table.first?.hasPrefix("REPOSITORY") == true)
    #expect(table.count == 2)
    #expect(table[1].hasPrefix("app-0 "), "default name is the app's: \(table[1])")
    let json = try sandbox.ok(["list", "--format", "json"]).stdout
    let rows = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
    #expect(rows.first?["tag"] as? String == "latest")
    #expect(rows.first?["os"] as? String == "hermit")
    #expect((rows.first?["id"] as? String)?.hasPrefix("sha256:") == true)
  }

  @Test func inspectShowsEntrypointCmdEnvAndLabels() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    try sandbox.ok([
      "build", "-t", "x/y:z", "--cpus", "4", "--memory", "1G", "--env", "A=B", "--expose", "80",
      "--expose", "443/tcp", try sandbox.app().path, "--", "--flag", "value with space",
    ])
    let report =
      try JSONSerialization.jsonObject(
        with: Data(try sandbox.ok(["inspect", "x/y:z"]).stdout.utf8)) as! [[String: Any]]
    let image = report[0]
    #expect(image["reference"] as? String == "x/y:z")
    #expect(image["entrypoint"] as? [String] == ["/hermit/app"])
    #expect(image["cmd"] as? [String] == ["--flag", "value with space"])
    #expect(image["env"] as? [String] == ["A=B"])
    let labels = image["labels"] as? [String: String]
    #expect(labels?["org.hermit.cpus"] == "4")
    #expect(labels?["org.hermit.memory"] == "1024M")
    #expect(labels?["org.hermit.ports"] == "80,443")
    let hermit = image["hermit"] as? [String: Any]
    #expect(hermit?["cpus"] as? Int == 4)
    #expect(hermit?["memoryMiB"] as? Int == 1024)
    #expect(hermit?["exposedPorts"] as? [Int] == [80, 443])
  }

  @Test func tagRmAndPruneManageNamesAndBlobs() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    try sandbox.ok(["build", "-t", "a:1", try sandbox.app().path])
    try sandbox.ok(["tag", "a:1", "b"])
    #expect(try sandbox.ok(["ls", "-q"]).stdout.split(separator: "\n").count == 2)
    #expect(try sandbox.ok(["rm", "a:1"]).stdout == "Untagged: a:1\n")
    #expect(try sandbox.ok(["prune"]).stdout.hasPrefix("Deleted 0 blobs"))
    try sandbox.ok(["rm", "b:latest"])
    let prune = try sandbox.ok(["prune"]).stdout
    #expect(prune.hasPrefix("Deleted 4 blobs"), "\(prune)")
    #expect(
      try FileManager.default.contentsOfDirectory(
        atPath: sandbox.store.appendingPathComponent("blobs/sha256").path
      ).isEmpty)
  }

  @Test(arguments: [
    (["inspect", "nope:1"], "no such image: nope:1"),
    (["tag", "nope", "x"], "no such image"),
    (["tag", "Bad Name", "x"], "invalid reference"),
    (["rm", "nope"], "no such image"),
    (["build", "-t", "UPPER", "/bin/true"], "must be lowercase"),
    (["build", "/etc/hostname"], "neither an app folder nor an ELF"),
    (["build", "/nonexistent"], "no such file"),
    (["build", "--memory", "lots", "/bin/true"], "invalid memory size"),
    (["build", "--memory", "1", "/bin/true"], "below the minimum of 2M"),
    (["build", "--memory", "99999999999999999G", "/bin/true"], "above the maximum of 1T"),
    (["build", "--memory", "1500K", "/bin/true"], "not a whole number of MiB"),
    (["build", "--expose", "99999", "/bin/true"], "invalid port"),
    (["build", "--cpus", "0", "/bin/true"], "invalid --cpus"),
    (["build", "--cpus", "-1", "/bin/true"], "invalid --cpus -1"),
    (["build", "--env", "NOEQUALS", "/bin/true"], "KEY=VALUE"),
    (["load", "-i", "/nonexistent.tar"], "not a readable regular file"),
    (["save", "-o", "/tmp/x.tar", "nope"], "no such image"),
  ])
  func failuresPrintOneErrorLineAndExit125(arguments: [String], expected: String) throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let result = try sandbox.run(arguments)
    #expect(result.status == 125)
    #expect(result.errorLines.count == 1, "\(result.stderr)")
    #expect(result.errorLines.first?.hasPrefix("hermit-image: error: ") == true)
    #expect(result.stderr.contains(expected), "\(result.stderr)")
  }

  @Test(arguments: ["build", "load", "save", "list", "ls", "inspect", "tag", "rm", "prune"])
  func everySubcommandHasHelp(subcommand: String) throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let help = try sandbox.run([subcommand, "--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("USAGE: hermit-image "), "\(help.stdout)")
  }

  /// Usage errors are one line and exit 125, as in hermit-runtime (and docker).
  @Test(arguments: [
    (["build"], "Missing expected argument '<app>'"), (["frobnicate"], "frobnicate"),
    (["ls", "--bogus"], "Unknown option '--bogus'"),
    (["rm"], "Missing expected argument '<references> ...'"),
  ])
  func usageErrorsAreOneLineAndExit125(arguments: [String], message: String) throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let result = try sandbox.run(arguments)
    #expect(result.status == 125)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    #expect(result.stderr.hasPrefix("hermit-image: error: "), "\(result.stderr)")
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(try sandbox.run(["--help"]).status == 0)
  }

  @Test func versionIsPrinted() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let result = try sandbox.run(["--version"])
    #expect(result.status == 0)
    #expect(result.stdout == "hermit-image version 0.1.0\n")
  }

  @Test func rmSaysWhatItUntaggedEvenWhenAnotherNameIsMissing() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    try sandbox.ok(["build", "-t", "a:1", try sandbox.app().path])
    let result = try sandbox.run(["rm", "a:1", "missing"])
    #expect(result.status == 125)
    #expect(result.stdout == "Untagged: a:1\n")
    #expect(result.stderr == "hermit-image: error: no such image: missing\n")
    #expect(try sandbox.ok(["ls", "-q"]).stdout.isEmpty)
  }

  @Test func missingToolchainIsAClearError() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let result = try sandbox.run(
      ["build", try sandbox.app().path],
      environment: ["HERMIT_TOOLCHAIN": sandbox.root.appendingPathComponent("none").path])
    #expect(result.status == 125)
    #expect(result.stderr.contains("cannot read the loader"), "\(result.stderr)")
  }
}
