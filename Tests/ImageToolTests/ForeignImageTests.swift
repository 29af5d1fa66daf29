import Foundation
import HermitOCI
import Testing

/// Images made by other tools load and run (issue 10, item 8): a layout without a
/// reference name (skopeo's `oci-archive:x.tar`), a layout directory (`oci:DIR`),
/// and an os-hermit image without hermit/image.json (buildah, FROM scratch).
@Suite(
  .enabled(
    if: FileManager.default.fileExists(
      atPath: repositoryRoot.appendingPathComponent("build/examples/echo").path),
    "needs build/ (make)"))
struct ForeignImageTests {
  /// `hermit-runtime`, next to `hermit-image`.
  func runtime(_ sandbox: Sandbox, _ arguments: [String], extra: [String: String] = [:]) throws
    -> CommandResult
  {
    let binary = try hermitImageBinary().deletingLastPathComponent()
      .appendingPathComponent("hermit-runtime")
    return try runTool(binary, arguments, environment: sandbox.environment.merging(extra) { $1 })
  }

  /// examples/echo as a layout tarball named `echo:1`, with the real toolchain.
  func echoTarball(_ sandbox: Sandbox) throws -> URL {
    let tar = sandbox.root.appendingPathComponent("echo.tar")
    try sandbox.ok([
      "build", "-t", "echo:1", "-o", tar.path,
      repositoryRoot.appendingPathComponent("build/examples/echo").path,
    ])
    return tar
  }

  /// examples/echo reshaped by Tests/Fixtures/oci/make-hostile.py as `shape`.
  func reshaped(_ sandbox: Sandbox, _ shape: String) throws -> URL {
    let out = sandbox.root.appendingPathComponent("\(shape).tar")
    let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/oci/make-hostile.py")
    let made = try runSystem(
      "python3", [script.path, try echoTarball(sandbox).path, shape, out.path])
    try #require(made.status == 0, "generator failed: \(made.stderr)")
    return out
  }

  /// buildx's OCI output: an image index beside an attestation manifest
  /// (unknown/unknown) and another platform's manifest; and indexes nested twice.
  /// The hermit image is taken, the rest skipped, as containerd does.
  @Test(arguments: ["buildx-attestation", "nested-indexes"])
  func theHermitImageOfAnIndexLoadsAndRuns(shape: String) throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let tar = try reshaped(sandbox, shape)
    #expect(try sandbox.ok(["load", "-i", tar.path]).stdout == "Loaded image: echo:1\n")
    let stored = try runtime(sandbox, ["run", "--rm", "-q", "echo:1", "from", "the", "store"])
    #expect(stored.status == 0, "\(stored.stderr)")
    #expect(stored.stdout == "from the store\n")
    let run = try runtime(sandbox, ["run", "--rm", "-q", tar.path, "from", shape])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == "from \(shape)\n")
  }

  /// `skopeo copy --dest-compress-format zstd` recompresses every layer as
  /// tar+zstd: the image loads, and unpacks to the same bytes as the gzip original.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/skopeo")))
  func aZstdImageFromSkopeoLoadsAndUnpacksByteIdentically() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let tar = try echoTarball(sandbox)
    let zstd = sandbox.root.appendingPathComponent("echo-zstd.tar")
    let copy = try runSystem(
      "skopeo",
      [
        "copy", "--dest-compress-format", "zstd", "oci-archive:\(tar.path)",
        "oci-archive:\(zstd.path):echo:zstd",
      ], environment: sandbox.environment)
    try #require(copy.status == 0, "\(copy.stderr)")
    #expect(try sandbox.ok(["load", "-i", zstd.path]).stdout == "Loaded image: echo:zstd\n")
    let inspect = try sandbox.ok(["inspect", "echo:zstd"]).stdout
    #expect(inspect.contains("application/vnd.oci.image.layer.v1.tar+zstd"), "\(inspect)")

    let gzipRoot = sandbox.root.appendingPathComponent("rootfs-gzip")
    let zstdRoot = sandbox.root.appendingPathComponent("rootfs-zstd")
    _ = try ImageUnpacker.unpack(layoutTarball: tar, into: gzipRoot)
    _ = try ImageUnpacker.unpack(layoutTarball: zstd, into: zstdRoot)
    let files = try FileManager.default.subpathsOfDirectory(atPath: gzipRoot.path).sorted()
    #expect(try FileManager.default.subpathsOfDirectory(atPath: zstdRoot.path).sorted() == files)
    #expect(files.contains("hermit/app"))
    for file in files {
      let a = gzipRoot.appendingPathComponent(file)
      let b = zstdRoot.appendingPathComponent(file)
      var isDirectory: ObjCBool = false
      FileManager.default.fileExists(atPath: a.path, isDirectory: &isDirectory)
      if isDirectory.boolValue { continue }
      #expect(try Data(contentsOf: a) == Data(contentsOf: b), "\(file)")
      let modes = try [a, b].map {
        try FileManager.default.attributesOfItem(atPath: $0.path)[.posixPermissions] as? Int
      }
      #expect(modes[0] == modes[1], "\(file)")
    }
    let run = try runtime(sandbox, ["run", "--rm", "-q", "echo:zstd", "zstd"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == "zstd\n")
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/skopeo")))
  func aLayoutWithoutARefNameIsNamedAfterItsFile() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let tar = try echoTarball(sandbox)
    let unnamed = sandbox.root.appendingPathComponent("My Echo.tar")
    let copy = try runSystem(
      "skopeo", ["copy", "oci-archive:\(tar.path)", "oci-archive:\(unnamed.path)"])
    #expect(copy.status == 0, "\(copy.stderr)")
    #expect(
      try sandbox.ok(["load", "-i", unnamed.path]).stdout == "Loaded image: my-echo:latest\n")
    let run = try runtime(sandbox, ["run", "--rm", "-q", unnamed.path, "a", "b"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == "a b\n")
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/skopeo")))
  func aLayoutDirectoryLoadsAndRuns() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let tar = try echoTarball(sandbox)
    let directory = sandbox.root.appendingPathComponent("layout")
    let copy = try runSystem(
      "skopeo", ["copy", "oci-archive:\(tar.path)", "oci:\(directory.path):v2"])
    #expect(copy.status == 0, "\(copy.stderr)")
    let loaded = try sandbox.ok(["load", "-i", directory.path]).stdout
    #expect(loaded == "Loaded image: layout:v2\n", "\(loaded)")
    let run = try runtime(sandbox, ["run", "--rm", "-q", directory.path, "from", "a", "directory"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == "from a directory\n")
    // A blob replaced by a symlink is refused, not followed.
    let blobs = directory.appendingPathComponent("blobs/sha256")
    let victim = try FileManager.default.contentsOfDirectory(atPath: blobs.path).sorted()[0]
    try FileManager.default.removeItem(at: blobs.appendingPathComponent(victim))
    try FileManager.default.createSymbolicLink(
      atPath: blobs.appendingPathComponent(victim).path, withDestinationPath: "/etc/passwd")
    let refused = try sandbox.run(["load", "-i", directory.path])
    #expect(refused.status == 125)
    #expect(refused.stderr.contains("is not a regular file"), "\(refused.stderr)")
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/buildah")))
  func aBuildahImageFromScratchTakesItsMetadataFromTheConfig() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    // The Containerfile of README.md ("Images from other tools").
    let context = sandbox.root.appendingPathComponent("context")
    let hermit = context.appendingPathComponent("hermit")
    try FileManager.default.createDirectory(at: hermit, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: repositoryRoot.appendingPathComponent("build/hermit-loader"),
      to: hermit.appendingPathComponent("loader"))
    try FileManager.default.copyItem(
      at: repositoryRoot.appendingPathComponent("build/examples/echo"),
      to: hermit.appendingPathComponent("app"))
    try """
    FROM scratch
    COPY hermit/loader /hermit/loader
    COPY hermit/app /hermit/app
    LABEL org.hermit.memory=32M
    ENTRYPOINT ["/hermit/app"]
    CMD ["from", "buildah"]

    """.write(
      to: context.appendingPathComponent("Containerfile"), atomically: true, encoding: .utf8)
    let storage = sandbox.root.appendingPathComponent("buildah").path
    let buildah = [
      "--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs",
    ]
    let built = try runSystem(
      "buildah",
      buildah + ["build", "-q", "--os", "hermit", "--arch", "amd64", "-t", "echo-b", context.path],
      environment: sandbox.environment)
    #expect(built.status == 0, "\(built.stderr)")
    let tar = sandbox.root.appendingPathComponent("echo-b.tar")
    let pushed = try runSystem(
      "buildah", buildah + ["push", "-q", "echo-b", "oci-archive:\(tar.path):echo-b:1"],
      environment: sandbox.environment)
    #expect(pushed.status == 0, "\(pushed.stderr)")

    #expect(try sandbox.ok(["load", "-i", tar.path]).stdout == "Loaded image: echo-b:1\n")
    let inspect = try sandbox.ok(["inspect", "echo-b:1"]).stdout
    let report = try JSONSerialization.jsonObject(with: Data(inspect.utf8)) as? [[String: Any]]
    let metadata = report?.first?["hermit"] as? [String: Any]
    #expect(metadata?["memoryMiB"] as? Int == 32, "\(inspect)")
    #expect(metadata?["app"] as? String == "hermit/app")

    let run = try runtime(
      sandbox, ["run", "--rm", "-q", tar.path], extra: ["HERMIT_DEBUG_QEMU": "1"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == "from buildah\n")
    #expect(run.stderr.contains("-m 32M"), "\(run.stderr)")
  }
}
