import FoundationEssentials
import HermitOCI

#if canImport(Glibc)
  import Glibc
#endif

/// Bounds on the files a running container's QEMU writes on the host, checked
/// by the VM's owner (foreground `run`, or the shim) once a second
/// (`Supervisor.Options.housekeeping`), so a chatty or hostile guest cannot fill
/// the disk.
///
/// QEMU keeps writing these files itself (the console log through
/// `-chardev stdio,logfile=,logappend=on` or the shim's stdout, the status file
/// through `-chardev file,append=on`): no copy through the runtime on the
/// console's path. Both are open with O_APPEND, so the bound is logrotate's
/// "copytruncate": the full log is copied to `console.log.1` (older copies shift
/// up to `maxFiles - 1`) and truncated in place, and QEMU's next write lands at
/// its new start. Output written between the copy and the truncation, a few
/// microseconds, is lost; between two checks a file can pass its bound by what
/// the guest writes in a second.
struct FileBounds: Sendable {
  /// docker's json-file driver with `max-size=10m`, `max-file=2`.
  static let defaultLogMaxBytes: Int64 = 10 << 20
  static let defaultLogMaxFiles = 2
  /// The status file holds a few records and a panic's backtrace: kilobytes.
  static let statusMaxBytes: Int64 = 1 << 20
  static let interval: Duration = .seconds(1)

  /// The console log's bound, before rotation.
  var logMaxBytes = defaultLogMaxBytes
  /// Files kept: console.log and console.log.1 ... console.log.<maxFiles-1>.
  var logMaxFiles = defaultLogMaxFiles

  /// `$HERMIT_LOG_MAX_SIZE` (bytes, or with K/M/G) and `$HERMIT_LOG_MAX_FILE`
  /// (at least 1), else docker's defaults.
  static func fromEnvironment(
    _ variable: (String) -> String? = HermitDirectories.processVariable
  ) -> FileBounds {
    var bounds = FileBounds()
    if let text = variable("HERMIT_LOG_MAX_SIZE"), !text.isEmpty {
      if let bytes = Int64(text), bytes > 0 {
        bounds.logMaxBytes = bytes
      } else if let mib = try? MemorySize.parseMiB(text), mib > 0 {
        bounds.logMaxBytes = Int64(mib) << 20
      }
    }
    if let text = variable("HERMIT_LOG_MAX_FILE"), let files = Int(text), files >= 1 {
      bounds.logMaxFiles = min(files, 100)
    }
    return bounds
  }

  /// One check: rotates `log` and empties `status` when they passed their bounds.
  func enforce(log: String?, status: String) {
    if let log { rotate(log) }
    if size(status) > Self.statusMaxBytes { _ = truncate(status, 0) }
  }

  /// Rotates `path` (copy + truncate) once it holds `logMaxBytes` or more.
  func rotate(_ path: String) {
    guard size(path) >= logMaxBytes else { return }
    if logMaxFiles > 1 {
      for index in stride(from: logMaxFiles - 2, through: 1, by: -1) {
        rename("\(path).\(index)", "\(path).\(index + 1)")
      }
      copy(path, to: "\(path).1")
    }
    _ = truncate(path, 0)
  }

  private func size(_ path: String) -> Int64 {
    var info = stat()
    return lstat(path, &info) == 0 ? Int64(info.st_size) : 0
  }

  /// Copies through a new file renamed over `target`, never following a link.
  private func copy(_ path: String, to target: String) {
    let source = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard source >= 0 else { return }
    defer { close(source) }
    let temporary = target + ".tmp"
    unlink(temporary)
    let destination = open(
      temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard destination >= 0 else { return }
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var complete = true
    while true {
      let count = read(source, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      if count < 0 { complete = false }
      guard count > 0 else { break }
      if buffer.withUnsafeBytes({ write(destination, $0.baseAddress, count) }) != count {
        complete = false
        break
      }
    }
    close(destination)
    if complete { rename(temporary, target) } else { unlink(temporary) }
  }
}
