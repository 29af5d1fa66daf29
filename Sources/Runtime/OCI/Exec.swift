import ArgumentParser

/// OCI `exec` (runc's, which `podman exec`, `crictl exec` and `kubectl exec` drive
/// through conmon or containerd's shim): a hermit container is one application in
/// a VM, with no process to exec beside it. Whatever flags the engine passes
/// (`--pid-file`, `--process`, `--detach`, `--console-socket`, `--tty`, ...) are
/// accepted, so the answer is this one line and not an unknown option; a runc
/// container (a pod's Linux sandbox) gets runc's `exec`.
struct Exec: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exec", abstract: "OCI: not supported (a unikernel runs no other process).")

  @OptionGroup var global: GlobalOptions

  @Argument(parsing: .allUnrecognized, help: .hidden)
  var arguments: [String] = []

  /// runc exec's options that take a value (runc 1.1 `exec --help`).
  static let valued: Set<String> = [
    "--console-socket", "--pid-file", "--process", "-p", "--cwd", "--env", "-e", "--user", "-u",
    "--additional-gids", "-g", "--process-label", "--apparmor", "--cap", "-c", "--preserve-fds",
    "--cgroup",
  ]

  /// The container ID: the first argument that is neither an option nor an option's value.
  static func containerID(in arguments: [String]) -> String? {
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      if argument == "--" { return index + 1 < arguments.count ? arguments[index + 1] : nil }
      if !argument.hasPrefix("-") { return argument }
      if valued.contains(argument) { index += 1 }
      index += 1
    }
    return nil
  }

  func run() throws {
    if let id = Self.containerID(in: arguments) { try RuncDelegate.forward(id, global) }
    throw RuntimeError.unsupported(
      "exec is not supported: a hermit container is one unikernel application in a VM "
        + "and has no processes to exec")
  }
}
