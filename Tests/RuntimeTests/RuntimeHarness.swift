import Foundation
import HermitOCI

#if canImport(Glibc)
  import Glibc
#endif

/// Drives the built `hermit-runtime` and `hermit-image` binaries.
///
/// Binaries: `$HERMIT_BIN`, else the directory of this test bundle (the same build),
/// else `<repo>/.build/release`, else `<repo>/.build/debug`. Guests: `build/` of the
/// repository (`make`).
enum Harness {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static let binaryDirectory: URL = {
    var candidates: [URL] = []
    if let dir = ProcessInfo.processInfo.environment["HERMIT_BIN"] { candidates.append(URL(fileURLWithPath: dir)) }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    candidates.append(bundle)
    candidates.append(repository.appendingPathComponent(".build/release"))
    candidates.append(repository.appendingPathComponent(".build/debug"))
    return candidates.first {
      FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("hermit-runtime").path)
    } ?? candidates[0]
  }()

  static var runtime: String { binaryDirectory.appendingPathComponent("hermit-runtime").path }
  static var imageTool: String { binaryDirectory.appendingPathComponent("hermit-image").path }
  static var build: URL { repository.appendingPathComponent("build") }

  /// True when the lead's guests are built.
  static var guestsBuilt: Bool {
    ["hermit-loader", "guests/exit", "guests/args", "guests/spin", "guests/panic", "examples/hello"]
      .allSatisfy { FileManager.default.fileExists(atPath: build.appendingPathComponent($0).path) }
  }

  static var isRoot: Bool { getuid() == 0 }

  static func tool(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
      FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
  }

  /// Image tarballs built once per test process from build/ with `hermit-image build -o`.
  static let images: Images? = try? Images()

  struct Images {
    let directory: URL
    let hello, exit, args, spin, panic: String

    init() throws {
      guard Harness.guestsBuilt else { throw CocoaError(.fileNoSuchFile) }
      let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("hermit-runtime-fixtures-\(getpid())")
      self.directory = directory
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      func make(_ name: String, _ app: String) throws -> String {
        let output = directory.appendingPathComponent(name + ".tar").path
        let result = try Harness.run(
          Harness.imageTool, ["build", "-t", "hermit-test-\(name):latest", "-o", output, Harness.build.appendingPathComponent(app).path],
          environment: ["HERMIT_HOME": directory.appendingPathComponent("store").path])
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown) }
        return output
      }
      hello = try make("hello", "examples/hello")
      exit = try make("exit", "guests/exit")
      args = try make("args", "guests/args")
      spin = try make("spin", "guests/spin")
      panic = try make("panic", "guests/panic")
    }
  }

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs a program to its end (killed after `timeout`).
  @discardableResult
  static func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:],
    timeout: Duration = .seconds(60)
  ) throws -> Result {
    let process = try start(executable, arguments, environment: environment)
    return finish(process, timeout: timeout)
  }

  /// A started process with captured output.
  final class Running: @unchecked Sendable {
    let process = Process()
    let stdout = Pipe()
    let stderr = Pipe()
    var out = Data()
    var err = Data()
    let group = DispatchGroup()
    var pid: Int32 { process.processIdentifier }
  }

  static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
    -> Running
  {
    let running = Running()
    running.process.executableURL = URL(fileURLWithPath: executable)
    running.process.arguments = arguments
    running.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    running.process.standardOutput = running.stdout
    running.process.standardError = running.stderr
    running.process.standardInput = FileHandle.nullDevice
    try running.process.run()
    running.group.enter()
    DispatchQueue.global().async {
      running.out = running.stdout.fileHandleForReading.readDataToEndOfFile()
      running.group.leave()
    }
    running.group.enter()
    DispatchQueue.global().async {
      running.err = running.stderr.fileHandleForReading.readDataToEndOfFile()
      running.group.leave()
    }
    return running
  }

  static func finish(_ running: Running, timeout: Duration = .seconds(60)) -> Result {
    let deadline = ContinuousClock.now + timeout
    while running.process.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
    if running.process.isRunning { kill(running.pid, SIGKILL) }
    running.process.waitUntilExit()
    _ = running.group.wait(timeout: .now() + 10)
    let status =
      running.process.terminationReason == .uncaughtSignal
      ? 128 + running.process.terminationStatus : running.process.terminationStatus
    return Result(
      status: status, stdout: String(decoding: running.out, as: UTF8.self),
      stderr: String(decoding: running.err, as: UTF8.self))
  }

  /// Pids of processes whose command line contains `pattern` (QEMU's `-name hermit-<id>`).
  static func pgrep(_ pattern: String) -> [Int32] {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
      guard pid != me, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
      let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      return line.contains("qemu") && line.contains(pattern)
        && (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") != true
    }
  }

  /// Polls `condition` every 20 ms until it holds or `timeout` passes.
  static func waitUntil(timeout: Duration = .seconds(20), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if condition() { return true }
      usleep(20_000)
    }
    return condition()
  }
}

/// A temporary directory per test (used as `$HERMIT_HOME`); delete it in `defer`.
struct Scratch {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("hermit-rt-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
  func delete() { try? FileManager.default.removeItem(at: url) }

  /// Environment isolating runtime state and caches in this directory.
  var environment: [String: String] { ["HERMIT_HOME": url.path] }

  /// `hermit-runtime ARGS` with this directory as HERMIT_HOME.
  @discardableResult
  func runtime(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> Harness.Result {
    try Harness.run(Harness.runtime, arguments, environment: environment, timeout: timeout)
  }

  func startRuntime(_ arguments: [String]) throws -> Harness.Running {
    try Harness.start(Harness.runtime, arguments, environment: environment)
  }

  /// A unique container name for this test (QEMU is then `-name hermit-<name>`).
  func name(_ base: String) -> String { "\(base)-\(url.lastPathComponent.suffix(8))" }
}
