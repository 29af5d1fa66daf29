import Foundation
import HermitOCI
import Testing

/// Builds examples/hello from source with the real guest toolchain (docs/ABI.md).
/// Needs `make` to have built build/hermit-loader and build/kernel/.
@Suite struct AppBuildTests {
  static var toolchainBuilt: Bool {
    let build = repositoryRoot.appendingPathComponent("build")
    return ["hermit-loader", "kernel/libhermit.a", "kernel/app.ld", "kernel/Kernel.swiftmodule"]
      .allSatisfy {
        FileManager.default.fileExists(atPath: build.appendingPathComponent($0).path)
      }
  }

  @Test(.enabled(if: toolchainBuilt, "needs the guest toolchain from `make` (build/kernel)"))
  func helloBuildsFromSourceIntoAnImageUnder64KiB() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let tar = sandbox.root.appendingPathComponent("hello.tar")
    let toolchain = repositoryRoot.appendingPathComponent("build").path
    let result = try sandbox.run(
      [
        "build", "-o", tar.path, "-t", "hello",
        repositoryRoot.appendingPathComponent("examples/hello").path,
      ],
      environment: ["HERMIT_TOOLCHAIN": toolchain])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("compiling hello"))
    let size = try FileManager.default.attributesOfItem(atPath: tar.path)[.size] as! Int
    #expect(size <= 64 << 10, "hello tarball is \(size) bytes")
    // The app inside is the very file `make` links for build/examples/hello.
    let rootfs = sandbox.root.appendingPathComponent("rootfs")
    let image = try ImageUnpacker.unpack(layoutTarball: tar, into: rootfs)
    #expect(image.reference == "hello:latest")
    let made = repositoryRoot.appendingPathComponent("build/examples/hello")
    if let expected = try? Data(contentsOf: made) {
      #expect(try Data(contentsOf: rootfs.appendingPathComponent("hermit/app")) == expected)
    }
    #expect(
      try Data(contentsOf: rootfs.appendingPathComponent("hermit/loader"))
        == Data(contentsOf: repositoryRoot.appendingPathComponent("build/hermit-loader")))
    let again = sandbox.root.appendingPathComponent("hello2.tar")
    let second = try sandbox.run(
      ["build", "-o", again.path, repositoryRoot.appendingPathComponent("examples/hello").path],
      environment: ["HERMIT_TOOLCHAIN": toolchain])
    #expect(second.status == 0)
    #expect(
      try Data(contentsOf: tar) == Data(contentsOf: again), "rebuilding from source is reproducible"
    )
  }

  @Test(.enabled(if: toolchainBuilt, "needs the guest toolchain from `make` (build/kernel)"))
  func aSwiftPMStylePackageBuildsFromItsSourcesFolder() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let package = sandbox.root.appendingPathComponent("Greeter")
    let sources = package.appendingPathComponent("Sources/Greeter")
    try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
    try
      "// swift-tools-version:6.1\nimport PackageDescription\nlet package = Package(name: \"Greeter\")\n"
      .write(to: package.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(
      at: repositoryRoot.appendingPathComponent("examples/hello/main.swift"),
      to: sources.appendingPathComponent("main.swift"))
    let result = try sandbox.run(
      ["build", package.path],
      environment: ["HERMIT_TOOLCHAIN": repositoryRoot.appendingPathComponent("build").path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("compiling Greeter (1 file)"), "Package.swift is not compiled")
    let list = try sandbox.ok(["ls"]).stdout
    #expect(list.contains("greeter "), "named after the folder, lowercased: \(list)")
  }
}
