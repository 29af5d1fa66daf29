import ArgumentParser
import FoundationEssentials

/// Options that come before the subcommand (containerd's shim passes `--root R
/// --log L --log-format json` to every call). Every subcommand includes this group
/// so it sees them.
struct GlobalOptions: ParsableArguments {
  @Option(help: "State directory (OCI commands default to /run/hermit-runtime).")
  var root: String?

  @Option(help: "Append errors to this file.")
  var log: String?

  @Option(help: "Format of --log: text or json.")
  var logFormat: String = "text"

  @Flag(help: .hidden) var systemdCgroup = false
  @Flag(help: .hidden) var debug = false
  @Option(help: .hidden) var rootless: String?

  /// Scans the raw arguments for `--log`/`--log-format`, for errors raised before
  /// (or while) parsing. (A `GlobalOptions()` built by hand cannot be read: its
  /// property wrappers only work on parsed instances.)
  static func fromArguments() -> (log: String, format: String)? {
    var log: String?
    var format = "text"
    let arguments = CommandLine.arguments
    var index = 1
    while index < arguments.count {
      let argument = arguments[index]
      func value(_ name: String) -> String? {
        if argument.hasPrefix(name + "=") { return String(argument.dropFirst(name.count + 1)) }
        if argument == name, index + 1 < arguments.count {
          index += 1
          return arguments[index]
        }
        return nil
      }
      if let path = value("--log") { log = path }
      if let text = value("--log-format") { format = text }
      index += 1
    }
    return log.map { ($0, format) }
  }
}
