import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The images `hermit-image build` writes are accepted by the real OCI tools
/// (PLATFORM.md, "OCI checkers that run here").
@Suite(.serialized) struct InteropTests {
  /// Builds the sample image as a layout tarball, extracted too.
  func buildSample(_ sandbox: Sandbox) throws -> (tar: URL, layout: URL) {
    let tar = sandbox.root.appendingPathComponent("image.tar")
    try sandbox.ok([
      "build", "-o", tar.path, "-t", "interop/sample:1.0", "--cpus", "2", "--memory", "128M",
      "--env", "GREETING=hi", "--expose", "8080", try sandbox.app().path, "--", "one", "two",
    ])
    let layout = sandbox.root.appendingPathComponent("layout")
    try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
    let untar = try runSystem("tar", ["-xf", tar.path, "-C", layout.path])
    #expect(untar.status == 0)
    return (tar, layout)
  }

  @Test func skopeoInspectsTheTarballAndCopiesItToAnOCIDirectory() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let (tar, _) = try buildSample(sandbox)
    let inspect = try runSystem("skopeo", ["inspect", "oci-archive:\(tar.path)"])
    #expect(inspect.status == 0, "\(inspect.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
    #expect(json?["Os"] as? String == "hermit")
    #expect(json?["Architecture"] as? String == "amd64")
    #expect((json?["Labels"] as? [String: String])?["org.hermit.cpus"] == "2")
    #expect(json?["Env"] as? [String] == ["GREETING=hi"])
    let copy = try runSystem(
      "skopeo", ["copy", "oci-archive:\(tar.path)", "oci:\(sandbox.root.path)/copied:sample"],
      environment: sandbox.environment)
    #expect(copy.status == 0, "\(copy.stderr)")
  }

  @Test func umociRawUnpackChecksDigestsAndUnpacksTheRootfs() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let (_, layout) = try buildSample(sandbox)
    let rootfs = sandbox.root.appendingPathComponent("rootfs")
    let unpack = try runSystem(
      "umoci",
      ["raw", "unpack", "--rootless", "--image", "\(layout.path):interop/sample:1.0", rootfs.path])
    #expect(unpack.status == 0, "\(unpack.stderr)")
    for path in ["hermit/loader", "hermit/app", "hermit/image.json"] {
      #expect(
        FileManager.default.fileExists(atPath: rootfs.appendingPathComponent(path).path), "\(path)")
    }
  }

  @Test func ociImageToolValidatesTheExtractedLayout() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let (_, layout) = try buildSample(sandbox)
    let validate = try runSystem("oci-image-tool", ["validate", "--type", "image", layout.path])
    #expect(validate.status == 0, "\(validate.stdout) \(validate.stderr)")
    #expect(
      validate.stdout.contains("Validation succeeded")
        || validate.stderr.contains("Validation succeeded"))
  }

  @Test func indexManifestAndConfigMatchTheImageSpecSchemas() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let (_, layout) = try buildSample(sandbox)
    let script = repositoryRoot.appendingPathComponent("scripts/image-schema-check.py")
    // Debian's python3 is the one python3-jsonschema (scripts/setup.sh) installs into.
    let python = URL(fileURLWithPath: "/usr/bin/python3")
    let check = try runTool(python, [script.path, layout.path])
    #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    #expect(check.stdout.split(separator: "\n").count == 4)
    // The check has teeth: a config with a numeric architecture fails it.
    let index =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: layout.appendingPathComponent("index.json"))) as! [String: Any]
    let manifestDigest = ((index["manifests"] as! [[String: Any]])[0]["digest"] as! String)
      .dropFirst(7)
    let manifest =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: layout.appendingPathComponent("blobs/sha256/\(manifestDigest)")))
      as! [String: Any]
    let configDigest = ((manifest["config"] as! [String: Any])["digest"] as! String).dropFirst(7)
    let configURL = layout.appendingPathComponent("blobs/sha256/\(configDigest)")
    var config =
      try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
    config["architecture"] = 5
    try JSONSerialization.data(withJSONObject: config).write(to: configURL)
    let broken = try runTool(python, [script.path, layout.path])
    #expect(broken.status == 1)
    #expect(broken.stdout.contains("FAIL config"), "\(broken.stdout)")
  }

  @Test func podmanLoadsTheImageIntoAPrivateStoreWithOsHermit() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let (tar, _) = try buildSample(sandbox)
    // podman refuses a runroot longer than 50 characters.
    let runroot = "/tmp/hermit-podman-\(UInt32.random(in: 0...UInt32.max))"
    defer { try? FileManager.default.removeItem(atPath: runroot) }
    let base = [
      "--root", sandbox.root.appendingPathComponent("podman/root").path,
      "--runroot", runroot,
      "--storage-driver", "vfs",
    ]
    let load = try runSystem(
      "podman", base + ["load", "-i", tar.path], environment: sandbox.environment)
    #expect(load.status == 0, "\(load.stderr)")
    #expect(load.stdout.contains("interop/sample:1.0"))
    let inspect = try runSystem(
      "podman",
      base + ["image", "inspect", "interop/sample:1.0", "--format", "{{.Os}}/{{.Architecture}}"],
      environment: sandbox.environment)
    #expect(
      inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "hermit/amd64",
      "\(inspect.stderr)")
  }

  @Test func theStoreItselfIsAnOCILayoutSkopeoCanRead() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    try sandbox.ok(["build", "-t", "stored:v1", try sandbox.app().path])
    let inspect = try runSystem("skopeo", ["inspect", "oci:\(sandbox.store.path):stored:v1"])
    #expect(inspect.status == 0, "\(inspect.stderr)")
    #expect(inspect.stdout.contains("\"Os\": \"hermit\""))
  }

  /// podman and our store read the name as given; containerd's CRI finds a pod's
  /// image only by its normalized name (issue 12), so that one goes to containerd.
  @Test(arguments: [
    ("interop/sample:1.0", "interop/sample:1.0", "docker.io/interop/sample:1.0"),
    ("sample", "sample:latest", "docker.io/library/sample:latest"),
    ("localhost/sample:2", "localhost/sample:2", "localhost/sample:2"),
    ("example.com:5000/a/b:c", "example.com:5000/a/b:c", "example.com:5000/a/b:c"),
  ])
  func theIndexNamesTheImageAsGivenAndNormalizedForContainerd(
    name: String, given: String, containerdName: String
  ) throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let tar = sandbox.root.appendingPathComponent("image.tar")
    try sandbox.ok(["build", "-o", tar.path, "-t", name, try sandbox.app().path])
    let index = try runSystem("tar", ["-xOf", tar.path, "index.json"])
    let object = try JSONSerialization.jsonObject(with: Data(index.stdout.utf8)) as? [String: Any]
    let entry = (object?["manifests"] as? [[String: Any]])?.first
    let annotations = entry?["annotations"] as? [String: String]
    #expect(annotations?["org.opencontainers.image.ref.name"] == given)
    #expect(annotations?["io.containerd.image.name"] == containerdName)
    // Loaded back, the store keeps the short name.
    #expect(try sandbox.ok(["load", "-i", tar.path]).stdout == "Loaded image: \(given)\n")
  }

  @Test func containerdImportsTheImageIntoAPrivateDaemon() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let (tar, _) = try buildSample(sandbox)
    // A private containerd: its own root, state and socket (short path: sun_path).
    let state = "/tmp/hermit-ctd-\(UInt32.random(in: 0...UInt32.max))"
    defer { try? FileManager.default.removeItem(atPath: state) }
    let socket = state + "/c.sock"
    let config = sandbox.root.appendingPathComponent("containerd.toml")
    try """
    version = 2
    root = "\(sandbox.root.path)/containerd"
    state = "\(state)"
    [grpc]
      address = "\(socket)"
    """.write(to: config, atomically: true, encoding: .utf8)
    let daemon = Process()
    daemon.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    daemon.arguments = ["containerd", "--config", config.path]
    daemon.standardOutput = FileHandle.nullDevice
    daemon.standardError = FileHandle.nullDevice
    try daemon.run()
    defer {
      daemon.terminate()
      daemon.waitUntilExit()
    }
    var ready = false
    for _ in 0..<100 where !ready {
      usleep(100_000)
      ready = (try? runSystem("ctr", ["--address", socket, "version"]).status) == 0
    }
    try #require(ready, "containerd did not start")
    // hermit/amd64 is not the host platform, so ctr needs --all-platforms.
    let load = try runSystem(
      "ctr", ["--address", socket, "images", "import", "--all-platforms", tar.path])
    #expect(load.status == 0, "\(load.stderr)")
    let list = try runSystem("ctr", ["--address", socket, "images", "ls"])
    // Named as the CRI looks it up (issue 12).
    #expect(list.stdout.contains("docker.io/interop/sample:1.0"), "\(list.stdout)")
    #expect(list.stdout.contains("hermit/amd64"), "\(list.stdout)")
  }

  @Test func imagesWrittenBySkopeoAndPodmanLoadBackAndDockerArchivesAreNamed() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let (tar, _) = try buildSample(sandbox)
    let viaSkopeo = sandbox.root.appendingPathComponent("skopeo.tar")
    let copy = try runSystem(
      "skopeo",
      [
        "copy", "-q", "oci-archive:\(tar.path)",
        "oci-archive:\(viaSkopeo.path):example.com/via/skopeo:v1",
      ],
      environment: sandbox.environment)
    #expect(copy.status == 0, "\(copy.stderr)")
    #expect(
      try sandbox.ok(["load", "-i", viaSkopeo.path]).stdout
        == "Loaded image: example.com/via/skopeo:v1\n")

    let runroot = "/tmp/hermit-podman-\(UInt32.random(in: 0...UInt32.max))"
    defer { try? FileManager.default.removeItem(atPath: runroot) }
    let podman = [
      "--root", sandbox.root.appendingPathComponent("podman/root").path, "--runroot", runroot,
      "--storage-driver", "vfs",
    ]
    #expect(
      try runSystem(
        "podman", podman + ["load", "-q", "-i", tar.path], environment: sandbox.environment
      ).status == 0)
    let ociArchive = sandbox.root.appendingPathComponent("podman-oci.tar")
    let dockerArchive = sandbox.root.appendingPathComponent("podman-docker.tar")
    for (format, url) in [("oci-archive", ociArchive), ("docker-archive", dockerArchive)] {
      let save = try runSystem(
        "podman", podman + ["save", "--format", format, "-o", url.path, "interop/sample:1.0"],
        environment: sandbox.environment)
      #expect(save.status == 0, "\(save.stderr)")
    }
    // podman names the image by io.containerd.image.name (docker.io/interop/sample:1.0);
    // loaded back, it has its familiar name again.
    #expect(
      try sandbox.ok(["load", "-i", ociArchive.path]).stdout
        == "Loaded image: interop/sample:1.0\n")
    let docker = try sandbox.run(["load", "-i", dockerArchive.path])
    #expect(docker.status == 125)
    #expect(docker.stderr.contains("is a docker-archive"), "\(docker.stderr)")
  }
}
