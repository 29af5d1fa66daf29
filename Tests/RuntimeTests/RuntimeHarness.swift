import Foundation
import HermitOCI

#if canImport(Glibc)
  import Glibc
#endif

/// The fixture directory's path for the `atexit` handler, which cannot capture.
nonisolated(unsafe) private var fixturePath: UnsafeMutablePointer<CChar>?

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
    if let dir = ProcessInfo.processInfo.environment["HERMIT_BIN"] {
      candidates.append(URL(fileURLWithPath: dir))
    }
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
    [
      "hermit-loader", "guests/exit", "guests/args", "guests/spin", "guests/panic",
      "examples/hello",
    ]
    .allSatisfy { FileManager.default.fileExists(atPath: build.appendingPathComponent($0).path) }
  }

  static var isRoot: Bool { getuid() == 0 }

  static func tool(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains
    {
      FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
  }

  /// Image tarballs built once per test process from build/ with `hermit-image build -o`.
  static let images: Images? = try? Images()

  /// Why `images` is nil, for the test that insists on them.
  static var imagesFailure: String {
    do {
      _ = try Images()
      return "none"
    } catch {
      return "\(error)"
    }
  }

  /// Where this process's fixture images go; removed when the process exits.
  static let fixtureDirectory: URL = {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-runtime-fixtures-\(getpid())")
    fixturePath = strdup(directory.path)
    atexit {
      guard let path = fixturePath else { return }
      try? FileManager.default.removeItem(atPath: String(cString: path))
    }
    return directory
  }()

  struct FixtureError: Error, CustomStringConvertible {
    var description: String
  }

  /// `hermit-image build -t hermit-test-NAME:latest -o <fixtures>/NAME.tar build/APP`.
  static func buildImage(_ name: String, app: String) throws -> String {
    guard guestsBuilt else {
      throw FixtureError(description: "build/ has no guests: run make first")
    }
    try FileManager.default.createDirectory(at: fixtureDirectory, withIntermediateDirectories: true)
    let output = fixtureDirectory.appendingPathComponent(name + ".tar").path
    let result = try run(
      imageTool,
      [
        "build", "-t", "hermit-test-\(name):latest", "-o", output,
        build.appendingPathComponent(app).path,
      ],
      environment: ["HERMIT_HOME": fixtureDirectory.appendingPathComponent("store").path])
    guard result.status == 0 else {
      throw FixtureError(description: "hermit-image build \(app): \(result.stderr)")
    }
    return output
  }

  struct Images {
    let hello, exit, args, spin, panic: String

    init() throws {
      func make(_ name: String, _ app: String) throws -> String {
        try Harness.buildImage(name, app: app)
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

  /// A started process; its output goes to temporary files, not pipes: a detached
  /// descendant (a shim, conmon) inherits them and would keep a pipe open.
  final class Running: @unchecked Sendable {
    let pid: Int32
    let stdoutPath: String
    let stderrPath: String

    init(pid: Int32, stdoutPath: String, stderrPath: String) {
      self.pid = pid
      self.stdoutPath = stdoutPath
      self.stderrPath = stderrPath
    }
  }

  /// posix_spawn + waitpid, not Foundation.Process: Process on Linux learns of
  /// an exit through a socket its children inherit, so a child that leaves a
  /// daemon behind (podman run -d, OCI create) would never be reaped.
  static func start(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:]
  ) throws
    -> Running
  {
    let base = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-harness-\(UUID().uuidString.prefix(8))").path
    let stdoutPath = base + ".out"
    let stderrPath = base + ".err"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    // Default signal handling and an empty mask: the test runner's threads may
    // block or ignore signals (SIGINT) that the tests send to the child.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    return Running(pid: pid, stdoutPath: stdoutPath, stderrPath: stderrPath)
  }

  static func finish(_ running: Running, timeout: Duration = .seconds(60)) -> Result {
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    var done = false
    while !done {
      let rc = waitpid(running.pid, &status, WNOHANG)
      if rc == running.pid || (rc < 0 && errno != EINTR) {
        done = true
      } else if ContinuousClock.now >= deadline {
        kill(running.pid, SIGKILL)
        _ = waitpid(running.pid, &status, 0)
        done = true
      } else {
        usleep(2_000)
      }
    }
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let out = (try? String(contentsOfFile: running.stdoutPath, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: running.stderrPath, encoding: .utf8)) ?? ""
    unlink(running.stdoutPath)
    unlink(running.stderrPath)
    return Result(status: code, stdout: out, stderr: err)
  }

  /// Pids of processes whose command line contains `pattern` (QEMU's `-name hermit-<id>`).
  /// Copies an executable in a child process (cp), so that no descriptor
  /// open for writing on it ever exists in this process, where any fork of a
  /// test running in parallel would inherit it and keep the copy busy
  /// (ETXTBSY) for as long as that child lives.
  static func copyExecutable(_ source: String, to destination: String) throws {
    let copied = try run("/bin/cp", [source, destination])
    guard copied.status == 0 else {
      throw FixtureError(description: "cp \(source) \(destination): \(copied.stderr)")
    }
  }

  /// `run`, again while the executable is busy (ETXTBSY): a file just
  /// written cannot be executed while a child that another test forks still
  /// holds it open for writing, for the moment until that child's execve.
  static func runRetryingWhileBusy(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:]
  ) throws -> Result {
    var result = try run(executable, arguments, environment: environment)
    for _ in 0..<30 where result.status == 126 && result.stderr.contains("Text file busy") {
      usleep(100_000)
      result = try run(executable, arguments, environment: environment)
    }
    return result
  }

  static func pgrep(_ pattern: String) -> [Int32] {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
      guard pid != me, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
      else { return false }
      let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      return line.contains("qemu") && line.contains(pattern)
        && (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ")
          != true
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
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "hermit-rt-\(UUID().uuidString.prefix(8))")
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
