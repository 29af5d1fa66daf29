import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// `hermit-runtime logs [-f] NAME`: a container's console, the rotated files
/// (`console.log.N` ... `console.log.1`, `FileBounds`) first.
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
    var buffer = [UInt8](repeating: 0, count: 65536)
    for index in stride(from: 100, through: 1, by: -1) {
      let fd = open("\(logPath).\(index)", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
      guard fd >= 0 else { continue }
      while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        _ = buffer.withUnsafeBytes { write(1, $0.baseAddress, count) }
      }
      close(fd)
    }
    let fd = open(logPath, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count > 0 {
        _ = buffer.withUnsafeBytes { write(1, $0.baseAddress, count) }
        continue
      }
      guard follow else { return }
      // Rotated (copied and truncated, FileBounds): go on from its new start.
      var info = stat()
      if fstat(fd, &info) == 0, Int64(info.st_size) < Int64(lseek(fd, 0, SEEK_CUR)) {
        lseek(fd, 0, SEEK_SET)
        continue
      }
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
