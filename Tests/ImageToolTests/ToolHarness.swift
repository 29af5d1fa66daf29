import Foundation
import HermitOCI
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The repository root (this file is Tests/ImageToolTests/ToolHarness.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// The built `hermit-image`: `$HERMIT_BIN/hermit-image`, else next to this test
/// binary (same build), else `.build/release`, else `.build/debug`. A missing binary
/// fails the tests: they exist to drive the real tool.
func hermitImageBinary() throws -> URL {
  var candidates: [URL] = []
  if let bin = ProcessInfo.processInfo.environment["HERMIT_BIN"], !bin.isEmpty {
    candidates.append(URL(fileURLWithPath: bin).appendingPathComponent("hermit-image"))
  }
  if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // Inside HermitPackageTests.xctest/ on some layouts.
    if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
    candidates.append(dir.appendingPathComponent("hermit-image"))
  }
  candidates.append(repositoryRoot.appendingPathComponent(".build/release/hermit-image"))
  candidates.append(repositoryRoot.appendingPathComponent(".build/debug/hermit-image"))
  guard
    let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
  else {
    throw HarnessError(
      "hermit-image binary not found (looked at \(candidates.map(\.path))); build it first")
  }
  return found
}

struct HarnessError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// The outcome of one command.
struct CommandResult {
  var status: Int32
  var stdout: String
  var stderr: String
  /// The stderr lines that are not progress messages.
  var errorLines: [String] {
    stderr.split(separator: "\n").map(String.init).filter {
      !$0.hasPrefix("hermit-image: ") || $0.hasPrefix("hermit-image: error:")
    }
  }
}

/// A private world for one test: its own store, toolchain, TMPDIR; removed by `cleanup`.
struct Sandbox {
  let root: URL
  var store: URL { root.appendingPathComponent("store") }
  var toolchain: URL { root.appendingPathComponent("toolchain") }
  var tmp: URL { root.appendingPathComponent("tmp") }

  /// Makes the sandbox with a toolchain holding a loader: the real `build/hermit-loader`
  /// when `make` has built it, else a stand-in (image packing does not look inside).
  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "hermit-image-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: toolchain, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    let real = repositoryRoot.appendingPathComponent("build/hermit-loader")
    let loader = toolchain.appendingPathComponent("hermit-loader")
    if let data = try? Data(contentsOf: real) {
      try data.write(to: loader)
    } else {
      try Data((0..<20000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: loader)
    }
  }

  func cleanup() { try? FileManager.default.removeItem(at: root) }

  var environment: [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["HERMIT_HOME"] = store.path
    env["HERMIT_TOOLCHAIN"] = toolchain.path
    env["TMPDIR"] = tmp.path
    env.removeValue(forKey: "SOURCE_DATE_EPOCH")
    return env
  }

  /// Starts `hermit-image ARGS` (for kill tests).
  func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = try hermitImageBinary()
    process.arguments = arguments
    process.environment = environment.merging(extra) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// Runs `hermit-image ARGS` to completion.
  @discardableResult
  func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CommandResult
  {
    try runTool(try hermitImageBinary(), arguments, environment: environment.merging(extra) { $1 })
  }

  /// Runs hermit-image and requires success.
  @discardableResult
  func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws
    -> CommandResult
  {
    let result = try run(arguments)
    #expect(
      result.status == 0, "hermit-image \(arguments) failed: \(result.stderr)",
      sourceLocation: sourceLocation)
    return result
  }

  /// A prebuilt app: examples/hello as `make` links it (build packs only what the
  /// loader accepts); `extra` bytes are appended.
  func app(extra: Int = 0) throws -> URL {
    let url = root.appendingPathComponent("app-\(extra)")
    var data = try builtApp()
    if extra > 0 {
      var generator = SystemRandomNumberGenerator()
      data.append(
        contentsOf: (0..<(extra / 8)).flatMap { _ in
          withUnsafeBytes(of: generator.next() as UInt64, Array.init)
        })
    }
    try data.write(to: url)
    return url
  }

  /// build/examples/hello; missing is a failure (`make` builds it), not a skip.
  func builtApp() throws -> Data {
    let url = repositoryRoot.appendingPathComponent("build/examples/hello")
    guard let data = try? Data(contentsOf: url) else {
      throw HarnessError("\(url.path) is missing: run `make` first")
    }
    return data
  }

  /// Every file in the store (but tmp/ and lock) with its sha256, to prove "unchanged".
  func storeSnapshot() throws -> [String: String] {
    var snapshot: [String: String] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: store.path) else { return [:] }
    for case let path as String in enumerator where !path.hasPrefix("tmp") && path != "lock" {
      var isDirectory: ObjCBool = false
      let url = store.appendingPathComponent(path)
      _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      snapshot[path] =
        isDirectory.boolValue ? "dir" : Digest.sha256(try Data(contentsOf: url)).description
    }
    return snapshot
  }

  /// Entries left in the store's tmp/ (staging of unfinished commands).
  func stagingLeftovers() -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("tmp").path))
      ?? []
  }

  /// Checks the store is consistent: index.json parses, every named image resolves,
  /// every blob reachable from it exists, and every blob's content matches its name.
  func expectConsistentStore(sourceLocation: SourceLocation = #_sourceLocation) throws {
    let imageStore = try ImageStore(root: store)
    for (name, _) in try imageStore.references() {
      let image = try imageStore.resolve(name)
      for layer in image.layers {
        #expect(
          FileManager.default.fileExists(atPath: imageStore.blobURL(layer.digest).path),
          sourceLocation: sourceLocation)
      }
    }
    let blobs = store.appendingPathComponent("blobs/sha256")
    for name in try FileManager.default.contentsOfDirectory(atPath: blobs.path) {
      let digest = Digest.sha256(try Data(contentsOf: blobs.appendingPathComponent(name)))
      #expect(digest.hex == name, "blob \(name) is not complete", sourceLocation: sourceLocation)
    }
  }
}

/// Runs any program, collecting output through temporary files (no pipe can fill).
func runTool(
  _ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
  directory: URL? = nil
) throws -> CommandResult {
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  if let environment { process.environment = environment }
  if let directory { process.currentDirectoryURL = directory }
  let base = FileManager.default.temporaryDirectory.appendingPathComponent(
    "hermit-run-\(UUID().uuidString)")
  let outURL = base.appendingPathExtension("out")
  let errURL = base.appendingPathExtension("err")
  _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
  _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
  defer {
    try? FileManager.default.removeItem(at: outURL)
    try? FileManager.default.removeItem(at: errURL)
  }
  let out = try FileHandle(forWritingTo: outURL)
  let err = try FileHandle(forWritingTo: errURL)
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  try out.close()
  try err.close()
  return CommandResult(
    status: process.terminationStatus,
    stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
    stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// Runs a system tool found on PATH.
func runSystem(_ name: String, _ arguments: [String], environment: [String: String]? = nil) throws
  -> CommandResult
{
  try runTool(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments, environment: environment)
}
