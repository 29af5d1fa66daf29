import ArgumentParser
import FoundationEssentials
import HermitOCI
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// The root command: lists the subcommands and reports errors the runtime's way.
struct HermitRuntime: ParsableCommand {
  static let version = "0.1.0"
  /// The runtime-spec version this runtime implements.
  static let ociVersion = "1.0.2"

  static let configuration = CommandConfiguration(
    commandName: "hermit-runtime",
    abstract: "Run hermit unikernel images under QEMU, like containers.",
    discussion: "Also an OCI runtime (create/start/state/kill/delete) for podman and containerd.",
    version: "hermit-runtime version \(version)\nspec: \(ociVersion)",
    subcommands: [
      // Container lifecycle, docker style.
      Run.self, PS.self, Logs.self, Stop.self, Kill.self, Rm.self, Inspect.self,
      // OCI runtime spec CLI.
      Create.self, Start.self, State.self, Delete.self, List.self, Exec.self, Features.self,
      // Internal.
      Shim.self,
    ]
  )

  @OptionGroup var global: GlobalOptions

  /// Parses, runs, and turns every error into one line and exit status 125.
  static func main() {
    do {
      var command = try parseFast() ?? parseAsRoot()
      try command.run()
      RunPrefetch.discard()
      Glibc.exit(0)
    } catch let code as ExitCode {
      RunPrefetch.discard()
      Glibc.exit(code.rawValue)
    } catch let error as RuntimeError {
      fail(error)
    } catch let error as HermitQEMUError {
      fail(.qemu(error))
    } catch let error as HermitOCIError {
      fail(.image(error))
    } catch let error as SystemError {
      fail(RuntimeError.wrap(error))
    } catch let error as CocoaError {
      fail(RuntimeError.wrap(error))
    } catch {
      // ArgumentParser: --help and --version exit 0; usage errors keep its message
      // but use docker's status 125.
      if exitCode(for: error) == .success { exit(withError: error) }
      // One line, like every other error; --help has the details.
      var message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
      if message.hasPrefix("Error: ") { message.removeFirst(7) }
      message = Sanitized.line(message)  // it may quote any argument
      logError(message)
      StandardError.write(line: "hermit-runtime: error: \(message)")
      RunPrefetch.discard()
      Glibc.exit(125)
    }
  }

  /// `run ...` parsed by `Run` alone: ArgumentParser's walk of the whole command
  /// tree costs about 1.5 ms at every start, and `run` is on the boot's critical
  /// path. Anything else (or global options before the subcommand) goes the normal way.
  static func parseFast() throws -> (any ParsableCommand)? {
    let arguments = CommandLine.arguments
    guard arguments.count > 1, arguments[1] == "run" else { return nil }
    let rest = Array(arguments.dropFirst(2))
    if rest.contains(where: { $0 == "-h" || $0 == "--help" }) { return nil }
    RunPrefetch.start(arguments: rest)
    return try Run.parseAsRoot(rest)
  }

  /// Logs `error` to `--log` (as JSON for containerd), then prints it as one line,
  /// and exits 125. The log comes first and neither write can crash: the caller's
  /// stderr may be anything, even /dev/null opened read-only (containerd's shim).
  static func fail(_ error: RuntimeError) -> Never {
    RunPrefetch.discard()
    logError(error.description)
    StandardError.write(line: "hermit-runtime: error: \(error.description)")
    Glibc.exit(125)
  }

  /// Appends an error record to the `--log` file: JSON lines for `--log-format json`
  /// (the only place ctr shows a runtime's error), text otherwise.
  static func logError(_ message: String) {
    guard let (path, format) = GlobalOptions.fromArguments() else { return }
    let time = RFC3339.string(Date())
    let line: String
    if format == "json" {
      struct Entry: Encodable {
        var level = "error"
        var msg: String
        var time: String
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      let data = (try? encoder.encode(Entry(msg: message, time: time))) ?? Data()
      line = String(decoding: data, as: UTF8.self) + "\n"
    } else {
      line = "time=\"\(time)\" level=error msg=\"\(message)\"\n"
    }
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    close(fd)
  }
}
