import FoundationEssentials
import HermitOCI
import HermitQEMU

#if canImport(Glibc)
  import Glibc
#endif

/// A bundle's hooks, runtime-spec config.md "POSIX-platform Hooks", kept in the
/// container's record at `create` so that `start` and `delete` run what `create`
/// accepted, whatever becomes of config.json.
///
/// Each hook runs in the runtime's namespaces (a VM has no container namespace to
/// run `createContainer` and `startContainer` in) with exactly its own `args` and
/// `env`, the container's state JSON (runtime.md "State") on stdin, its output on
/// the runtime's stderr, and is killed with its process group after `timeout`
/// seconds when the hook gives one. Hooks of one kind run in order; the first
/// failure stops them.
///
/// Lifecycle (runtime.md "Lifecycle"): `create` runs prestart, createRuntime and
/// createContainer with the container's process held back; `start` runs
/// startContainer before letting the VM boot, then poststart; `delete` runs
/// poststop once the container is gone. A failure of the first four fails the
/// command and stops the container; poststart and poststop failures are warnings.
struct OCIHooks: Codable, Equatable, Sendable {
  struct Hook: Codable, Equatable, Sendable {
    var path: String
    var args: [String]?
    var env: [String]?
    var timeout: Int?
  }

  /// The hook kinds, in the order of the lifecycle.
  enum Kind: String, CaseIterable, Sendable {
    case prestart, createRuntime, createContainer, startContainer, poststart, poststop

    /// The state's `status` while hooks of this kind run.
    var status: String {
      switch self {
      case .prestart, .createRuntime, .createContainer: return "creating"
      case .startContainer: return "created"
      case .poststart: return "running"
      case .poststop: return "stopped"
      }
    }
  }

  /// Deprecated in runtime-spec 1.0.2, still run (podman's hooks.d may use it).
  var prestart: [Hook]?
  var createRuntime: [Hook]?
  var createContainer: [Hook]?
  var startContainer: [Hook]?
  var poststart: [Hook]?
  var poststop: [Hook]?

  subscript(kind: Kind) -> [Hook] {
    switch kind {
    case .prestart: return prestart ?? []
    case .createRuntime: return createRuntime ?? []
    case .createContainer: return createContainer ?? []
    case .startContainer: return startContainer ?? []
    case .poststart: return poststart ?? []
    case .poststop: return poststop ?? []
    }
  }

  var isEmpty: Bool { Kind.allCases.allSatisfy { self[$0].isEmpty } }

  /// Refuses what the spec forbids: a relative path, a timeout not above zero.
  func validate() throws {
    for kind in Kind.allCases {
      for (index, hook) in self[kind].enumerated() {
        guard hook.path.hasPrefix("/") else {
          throw RuntimeError.invalidBundle(
            "hooks.\(kind.rawValue)[\(index)].path \(Sanitized.quoted(hook.path)) is not absolute")
        }
        if let timeout = hook.timeout, timeout <= 0 {
          throw RuntimeError.invalidBundle(
            "hooks.\(kind.rawValue)[\(index)].timeout must be above 0, not \(timeout)")
        }
      }
    }
  }

  /// Runs the hooks of `kind` in order with `state` on stdin.
  /// - Throws: `.hookFailed` for the first hook that fails.
  func run(_ kind: Kind, state: State.OCIState) throws {
    var state = state
    state.status = kind.status
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let input = try encoder.encode(state)
    for (index, hook) in self[kind].enumerated() {
      if let reason = Self.run(hook, input: [UInt8](input)) {
        throw RuntimeError.hookFailed(
          kind: kind.rawValue, index: index, path: hook.path, reason: reason)
      }
    }
  }

  /// Runs the hooks of `kind`; a failure is a warning on stderr (poststart,
  /// poststop), and the hooks after it still run.
  func runWarning(_ kind: Kind, state: State.OCIState) {
    var state = state
    state.status = kind.status
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let input = try? encoder.encode(state) else { return }
    for (index, hook) in self[kind].enumerated() {
      if let reason = Self.run(hook, input: [UInt8](input)) {
        let error = RuntimeError.hookFailed(
          kind: kind.rawValue, index: index, path: hook.path, reason: reason)
        StandardError.write(line: "hermit-runtime: warning: \(error)")
      }
    }
  }

  /// Runs one hook to its end. - Returns: why it failed, or nil.
  static func run(_ hook: Hook, input: [UInt8]) -> String? {
    // stdin is a socket: `send` with MSG_NOSIGNAL, so a hook that exits without
    // reading cannot kill the runtime with SIGPIPE, and MSG_DONTWAIT, so one that
    // never reads cannot block it past the timeout.
    var ends: [Int32] = [-1, -1]
    guard
      socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0
    else { return "socketpair: \(String(cString: strerror(errno)))" }
    defer { ends.forEach { if $0 >= 0 { close($0) } } }
    var options = ChildProcess.Options()
    options.stdin = .fd(ends[1])
    options.stdout = .fd(STDERR_FILENO)
    options.stderr = .inherit
    options.inheritsEnvironment = false
    var environment: [String: String] = [:]
    for entry in hook.env ?? [] {
      guard let equals = entry.firstIndex(of: "=") else { continue }
      environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
    }
    let argv = (hook.args?.isEmpty ?? true) ? [hook.path] : hook.args!
    let pid: pid_t
    do {
      pid = try ChildProcess.spawn(
        path: hook.path, argv: argv, environment: environment, options: options)
    } catch {
      return error.description
    }
    close(ends[1])
    ends[1] = -1
    let deadline = hook.timeout.map { ContinuousClock.now + .seconds($0) }
    var sent = 0
    var status: Int32 = 0
    var pause: UInt32 = 200
    while true {
      if ends[0] >= 0 {
        let count = input.withUnsafeBytes {
          send(ends[0], $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
        if count > 0 { sent += count }
        if sent == input.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
          close(ends[0])  // EOF for the hook
          ends[0] = -1
        }
      }
      let waited = waitpid(pid, &status, WNOHANG)
      if waited == pid { break }
      if waited < 0 && errno != EINTR { return "waitpid: \(String(cString: strerror(errno)))" }
      if let deadline, ContinuousClock.now >= deadline {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return "timed out after \(hook.timeout ?? 0) s"
      }
      usleep(pause)
      pause = min(pause * 2, 10_000)
    }
    if status & 0x7f != 0 { return "killed by signal \(status & 0x7f)" }
    let code = (status >> 8) & 0xff
    return code == 0 ? nil : "exit status \(code)"
  }
}
