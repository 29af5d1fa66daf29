import Foundation
import HermitOCI

/// Compiles and links an app folder with the same steps as the Makefile's
/// `build/examples/%` rule (`make print-app-flags`, docs/ABI.md): swiftc with the
/// Embedded flags plus the folder's optional `swiftflags` file, ld.lld with app.ld,
/// libhermit.a and the Unicode tables, then `llvm-objcopy --strip-all`. The app is
/// compiled with `-g`: the stripped app is the same, and the unstripped one
/// (`APP.debug`) gives a panic's backtrace file:line and the kind of Swift trap.
struct AppCompiler {
  let toolchain: Toolchain

  /// `swiftc`: `$SWIFTC`, else /opt/swift/usr/bin/swiftc, else the first on PATH.
  static func swiftc() throws -> URL {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let explicit = environment["SWIFTC"] { candidates.append(explicit) }
    candidates.append("/opt/swift/usr/bin/swiftc")
    for directory in (environment["PATH"] ?? "").split(separator: ":") {
      candidates.append("\(directory)/swiftc")
    }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else {
      throw ImageToolError.buildFailed("swiftc not found (set SWIFTC)")
    }
    // Not resolved: swiftc is a symlink to swift-driver, which picks its mode from argv[0].
    return URL(fileURLWithPath: found)
  }

  /// The app's sources: every .swift under `Sources/` for a SwiftPM-style package,
  /// else the .swift files in the folder itself; sorted for a stable command line.
  static func sources(in folder: URL) throws -> [URL] {
    let sourcesDir = folder.appendingPathComponent("Sources")
    var isDirectory: ObjCBool = false
    var found: [URL] = []
    if FileManager.default.fileExists(atPath: sourcesDir.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      let enumerator = FileManager.default.enumerator(atPath: sourcesDir.path)
      while let name = enumerator?.nextObject() as? String {
        if name.hasSuffix(".swift") { found.append(sourcesDir.appendingPathComponent(name)) }
      }
    } else {
      for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
      where name.hasSuffix(".swift") {
        found.append(folder.appendingPathComponent(name))
      }
    }
    guard !found.isEmpty else {
      throw ImageToolError.buildFailed("no .swift files in \(folder.path) (or its Sources/)")
    }
    return found.sorted { $0.path < $1.path }
  }

  /// Compiles the app in `folder`: the stripped app ELF and its symbols (APP.debug).
  func compile(folder: URL, name: String) throws -> (app: Data, symbols: Data) {
    let sources = try AppCompiler.sources(in: folder)
    let kernel = toolchain.kernel
    for required in ["Kernel.swiftmodule", "libhermit.a", "app.ld"]
    where !FileManager.default.fileExists(atPath: kernel.appendingPathComponent(required).path) {
      throw ImageToolError.buildFailed("\(kernel.path)/\(required) is missing; run `make`")
    }
    let swiftc = try AppCompiler.swiftc()
    let bin = swiftc.deletingLastPathComponent()
    let lld = bin.appendingPathComponent("ld.lld")
    let unicode = bin.appendingPathComponent(
      "../lib/swift/embedded/x86_64-unknown-none-elf/libswiftUnicodeDataTables.a"
    ).standardizedFileURL
    let work = FileManager.default.temporaryDirectory.appendingPathComponent(
      "hermit-build-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let object = work.appendingPathComponent("app.o")
    let linked = work.appendingPathComponent(name + ".debug")
    let output = work.appendingPathComponent(name)
    let objcopy = bin.appendingPathComponent("llvm-objcopy")
    // Extra compiler flags of this app, one file of whitespace-separated words.
    let extraFlags =
      ((try? String(contentsOf: folder.appendingPathComponent("swiftflags"), encoding: .utf8)) ?? "")
      .split(whereSeparator: \.isWhitespace).map(String.init)

    Progress.say("compiling \(name) (\(sources.count) file\(sources.count == 1 ? "" : "s"))")
    try run(
      swiftc,
      [
        "-target", "x86_64-unknown-none-elf", "-enable-experimental-feature", "Embedded",
        "-enable-experimental-feature", "Extern", "-wmo", "-Osize", "-Xcc", "-mno-red-zone",
        "-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections", "-g",
      ] + extraFlags + [
        "-I", kernel.path, "-module-name", "main", "-c",
      ] + sources.map(\.path) + ["-o", object.path], step: "swiftc", directory: work)
    Progress.say("linking \(name)")
    try run(
      lld,
      [
        "-T", kernel.appendingPathComponent("app.ld").path, "-nostdlib", "-static", "-pie",
        "--no-dynamic-linker", "-z", "max-page-size=4096", "-z", "norelro", "--gc-sections",
        "-z", "noexecstack", "-o", linked.path, object.path,
        kernel.appendingPathComponent("libhermit.a").path, unicode.path,
      ], step: "ld.lld", directory: work)
    try run(
      objcopy, ["--strip-all", linked.path, output.path], step: "llvm-objcopy", directory: work)
    return (try Data(contentsOf: output), try Data(contentsOf: linked))
  }

  /// Runs a tool with our stderr (diagnostics reach the user as they are).
  private func run(_ tool: URL, _ arguments: [String], step: String, directory: URL) throws {
    let process = Process()
    process.executableURL = tool
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardOutput = FileHandle.standardError
    do { try process.run() } catch {
      throw ImageToolError.buildFailed("cannot run \(tool.path): \(error)")
    }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ImageToolError.buildFailed("\(step) exited with status \(process.terminationStatus)")
    }
  }
}
