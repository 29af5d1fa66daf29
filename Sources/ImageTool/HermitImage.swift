import ArgumentParser
import Foundation
import HermitOCI

/// `hermit-image`: builds hermit apps into OCI images and keeps a local store.
///
/// Exit status: 0 on success; 125 for every failure, of the command itself or of
/// its command line (as `docker` and `hermit-runtime` do), reported as one line
/// `hermit-image: error: ...` on stderr; `--help` has the details.
struct HermitImage: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "hermit-image",
    abstract: "Build hermit apps into OCI images and manage the local image store.",
    discussion: """
      The store lives in $HERMIT_HOME, else $XDG_DATA_HOME/hermit, else \
      ~/.local/share/hermit. Exit status: 0 ok, 125 error (usage errors too).
      """,
    version: "hermit-image version \(version)",
    subcommands: [
      Build.self, Load.self, Save.self, List.self, Inspect.self, Tag.self, Remove.self,
      Prune.self,
    ])

  /// Without a subcommand: the help text, exit 0.
  func run() throws {
    throw CleanExit.helpRequest(self)
  }

  /// The exit status for every failure (docker's for its own errors).
  static let failureExitCode: Int32 = 125

  /// Parses the command line, runs the command and exits.
  static func runAndExit(_ arguments: [String]? = nil) -> Never {
    var command: ParsableCommand
    do {
      command = try parseAsRoot(arguments)
    } catch {
      failParsing(error)
    }
    do {
      try command.run()
      Foundation.exit(0)
    } catch let error as HermitOCIError {
      fail(error.description)
    } catch let error as ImageToolError {
      fail(error.description)
    } catch let error as ExitCode {
      Foundation.exit(error.rawValue)
    } catch {
      failParsing(error)
    }
  }

  /// swift-argument-parser's outcomes: `--help` and `--version` print and exit 0;
  /// a usage error is one line (its first) and exit 125 like every other error.
  static func failParsing(_ error: any Error) -> Never {
    if exitCode(for: error) == .success { exit(withError: error) }
    var message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
    if message.hasPrefix("Error: ") { message.removeFirst(7) }
    fail(message.isEmpty ? "\(error)" : message)
  }

  /// Prints the one-line error and exits 125.
  static func fail(_ message: String) -> Never {
    let line = Sanitized.line(message.split(separator: "\n").joined(separator: " "))
    FileHandle.standardError.write(Data("hermit-image: error: \(line)\n".utf8))
    Foundation.exit(failureExitCode)
  }
}

/// Progress lines on stderr (stdout stays for results scripts read).
enum Progress {
  static func say(_ message: String) {
    FileHandle.standardError.write(Data("hermit-image: \(message)\n".utf8))
  }
}

/// Opens the default store (`$HERMIT_HOME`, ...).
func openStore() throws -> ImageStore {
  try ImageStore(root: ImageStore.defaultRoot())
}

/// A size as `docker images` prints it (SI units).
func humanSize(_ bytes: Int64) -> String {
  let units = ["B", "kB", "MB", "GB", "TB"]
  var value = Double(bytes)
  var unit = 0
  while value >= 1000 && unit < units.count - 1 {
    value /= 1000
    unit += 1
  }
  return unit == 0 ? "\(bytes)B" : String(format: "%.3g%@", value, units[unit])
}
