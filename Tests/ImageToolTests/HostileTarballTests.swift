import Foundation
import Testing

/// Every case of Tests/Fixtures/oci/make-hostile.py, with a word its error line must
/// contain. Each must be refused with exactly one line, exit 125, the store unchanged.
let hostileCases: [(String, String)] = [
  ("dotdot-path", "\"..\""),
  ("nested-dotdot-path", "\"..\""),
  ("absolute-path", "absolute path"),
  ("symlink-entry", "symbolic link"),
  ("blob-is-symlink", "symbolic link"),
  ("hardlink-entry", "hard link"),
  ("char-device", "device node"),
  ("block-device", "device node"),
  ("fifo", "special file"),
  ("duplicate-index", "duplicate entry"),
  ("duplicate-blob", "duplicate entry"),
  ("file-under-file", "below the file"),
  ("blob-digest-mismatch", "digest mismatch"),
  ("manifest-size-mismatch", "size mismatch"),
  ("layer-size-mismatch", "size mismatch"),
  ("missing-config-blob", "missing blob"),
  ("missing-manifest-blob", "missing blob"),
  ("missing-layer-blob", "missing blob"),
  ("bad-index-json", "invalid JSON in index.json"),
  ("bad-manifest-json", "invalid JSON in manifest"),
  ("oversize-index-json", "too large"),
  ("bad-digest-string", "invalid digest"),
  ("sha512-blob-dir", "only blobs/sha256"),
  ("wrong-os", "not a hermit image"),
  ("unknown-layer-media-type", "unsupported media type"),
  ("custom-config-media-type", "unsupported media type"),
  ("nested-index", "nested index"),
  ("layer-gzip-bad-crc", "incorrect data check"),
  ("layer-gzip-bad-isize", "incorrect length check"),
  ("layer-gzip-trailing-garbage", "trailing data after the gzip stream"),
  ("layer-double-gzip-inner-diff-id", "compressed twice"),
  ("layer-double-gzip-oci-diff-id", "compressed twice"),
  ("duplicate-key-config", #"duplicate key "os""#),
  ("duplicate-key-index", #"duplicate key "manifests""#),
  ("only-other-platforms", "holds no hermit/amd64 image (found linux/amd64, linux/arm64)"),
  ("huge-media-type", "unsupported media type"),
  ("huge-ref-name", "invalid reference"),
  ("huge-layer-path", "symbolic link"),
  ("docker-archive", "docker-archive"),
  ("no-oci-layout", "no oci-layout"),
  ("no-index", "no index.json"),
  ("truncated-tar", "runcated"),
  ("not-a-tar", "Unrecognized archive format"),
  ("empty-file", "is empty"),
  ("too-many-entries", "entries"),
  ("outer-gzip-bomb", "decompression bomb"),
  ("layer-gzip-bomb", "decompression bomb"),
  ("layer-dotdot", "\"..\""),
  ("layer-absolute", "absolute path"),
  ("layer-symlink", "symbolic link"),
  ("layer-device", "device node"),
  ("layer-diff-id-mismatch", "diff_id"),
  ("layer-not-gzip", "not gzip-compressed"),
  ("bad-name", "invalid reference"),
  ("escape-name", #"\u{1b}[31mred\u{1b}[0m/x:1\u{d}\u{a}fake line"#),
]

@Suite struct HostileTarballTests {
  @Test(arguments: hostileCases)
  func hostileTarballIsRejectedWithOneLineAndTheStoreUnchanged(name: String, expected: String)
    throws
  {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let valid = sandbox.root.appendingPathComponent("valid.tar")
    try sandbox.ok(["build", "-t", "victim:1", "-o", valid.path, try sandbox.app().path])
    let hostile = sandbox.root.appendingPathComponent("\(name).tar")
    let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/oci/make-hostile.py")
    let made = try runSystem("python3", [script.path, valid.path, name, hostile.path])
    try #require(made.status == 0, "generator failed: \(made.stderr)")
    let before = try sandbox.storeSnapshot()

    let result = try sandbox.run(["load", "-i", hostile.path])
    #expect(result.status == 125)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(result.stderr)")
    #expect(lines.first?.hasPrefix("hermit-image: error: ") == true, "\(result.stderr)")
    #expect(result.stderr.contains(expected), "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    // Hostile strings are quoted cut, never whole (a 1 MiB media type or path).
    #expect(result.stderr.utf8.count <= 1100, "error line of \(result.stderr.utf8.count) bytes")
    #expect(
      !result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7f },
      "control characters reach the terminal: \(result.stderr.debugDescription)")
    #expect(try sandbox.storeSnapshot() == before, "store changed")
    #expect(sandbox.stagingLeftovers().isEmpty, "staging left: \(sandbox.stagingLeftovers())")
    #expect(!FileManager.default.fileExists(atPath: "/tmp/hermit-evil"))
  }

  /// Shapes other tools write (issue 10, item 8): no hermit/image.json (the
  /// config and defaults say it all), no reference name (named after the file).
  @Test(arguments: [
    ("missing-image-json", "victim:1"), ("no-name", "no-name:latest"),
    ("buildx-attestation", "victim:1"), ("nested-indexes", "victim:1"),
  ])
  func foreignShapesLoad(name: String, loadedAs: String) throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let valid = sandbox.root.appendingPathComponent("valid.tar")
    try sandbox.ok(["build", "-t", "victim:1", "-o", valid.path, try sandbox.app().path])
    let foreign = sandbox.root.appendingPathComponent("\(name).tar")
    let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/oci/make-hostile.py")
    let made = try runSystem("python3", [script.path, valid.path, name, foreign.path])
    try #require(made.status == 0, "generator failed: \(made.stderr)")
    #expect(try sandbox.ok(["load", "-i", foreign.path]).stdout == "Loaded image: \(loadedAs)\n")
  }

  /// The fuzzed hang (20 s and more before): 2,500 descriptors of one manifest
  /// whose config has 10,000 history entries load as 2,500 names. Timing is not
  /// asserted; LayoutLoaderTests checks that the manifest is verified once.
  @Test func aFanOutIndexLoadsEveryName() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let valid = sandbox.root.appendingPathComponent("valid.tar")
    try sandbox.ok(["build", "-t", "victim:1", "-o", valid.path, try sandbox.app().path])
    let fan = sandbox.root.appendingPathComponent("fan.tar")
    let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/oci/make-hostile.py")
    let made = try runSystem("python3", [script.path, valid.path, "fan-out-index", fan.path])
    try #require(made.status == 0, "generator failed: \(made.stderr)")
    let loaded = try sandbox.ok(["load", "-i", fan.path]).stdout.split(separator: "\n")
    #expect(loaded.count == 2500)
    #expect(loaded.last == "Loaded image: fan:2499")
    let listed = try sandbox.ok(["ls", "-q"]).stdout.split(separator: "\n")
    #expect(listed.count == 2501, "the 2,500 and victim:1 of the build")
  }

  /// `ls` prints a config's `created` escaped: an OSC title sequence or a line
  /// break in it reaches neither the terminal nor the table's layout.
  @Test func lsEscapesTheCreatedTime() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let valid = sandbox.root.appendingPathComponent("valid.tar")
    try sandbox.ok(["build", "-t", "victim:1", "-o", valid.path, try sandbox.app().path])
    let evil = sandbox.root.appendingPathComponent("evil.tar")
    let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/oci/make-hostile.py")
    let made = try runSystem("python3", [script.path, valid.path, "escape-created", evil.path])
    try #require(made.status == 0, "generator failed: \(made.stderr)")
    try sandbox.ok(["load", "-i", evil.path])
    let table = try sandbox.ok(["ls"]).stdout
    #expect(table.split(separator: "\n").count == 2, "\(table.debugDescription)")
    #expect(
      !table.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7f },
      "\(table.debugDescription)")
    #expect(table.contains(#"\u{1b}]0;pwned\u{7}"#), "\(table.debugDescription)")
  }

  @Test func theCorpusHasAtLeast25Cases() {
    #expect(hostileCases.count >= 25)
  }
}
