import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime logs [-f] NAME`: a detached container's console.
struct Logs: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logs", abstract: "Print a detached container's console output.")

  @OptionGroup var global: GlobalOptions

  @Flag(name: .shortAndLong, help: "Follow the output until the container stops.")
  var follow = false

  @Argument var name: String

  func run() throws {
    let store = try ContainerStore.forRun(global)
    let record = try store.load(name)
    guard let logPath = record.logPath else {
      throw RuntimeError.invalidArgument("container \(name) has no log")
    }
    let fd = open(logPath, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count > 0 {
        _ = buffer.withUnsafeBytes { write(1, $0.baseAddress, count) }
        continue
      }
      guard follow else { return }
      // EOF: done once the container has stopped (read once more after that, so
      // nothing written just before the stop is lost).
      let stopped = ((try? store.load(name))?.status ?? .stopped) == .stopped
      if stopped {
        while true {
          let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
          if count <= 0 { return }
          _ = buffer.withUnsafeBytes { write(1, $0.baseAddress, count) }
        }
      }
      usleep(100_000)
    }
  }
}
