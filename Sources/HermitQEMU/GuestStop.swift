#if canImport(Glibc)
  import Glibc
#endif

/// Asking a running guest to shut down, for `hermit-runtime stop` and an engine's
/// SIGTERM (docs/ABI.md, "Stop requests").
///
/// - The kernel writes the status record `HERMIT-STATUS stop-handler` on the
///   debugcon port once the app has registered a shutdown handler.
/// - Asked to stop, the supervisor looks for that record in the status file. With
///   it, it sends `system_powerdown` to QEMU's human monitor (an ACPI power-button
///   event: the GED on `-M microvm`, PIIX4 PM on `-M pc`) and leaves the guest
///   time to run its handler and exit with its code; without it, QEMU is stopped
///   at once, as for an app that cannot react.
public struct GuestStop: Sendable {
  /// The record (a line of the status file) that says the app has a handler.
  public static let handlerRecord = "HERMIT-STATUS stop-handler"
  /// The monitor command: the ACPI power button.
  public static let command = "system_powerdown\n"

  /// The monitor FIFOs' base path (`VMConfiguration.monitor`), as the host sees it.
  public var monitor: String
  /// The status file, as the host sees it.
  public var statusFile: String

  public init(monitor: String, statusFile: String) {
    self.monitor = monitor
    self.statusFile = statusFile
  }

  /// Makes `<monitor>.in` and `<monitor>.out` for QEMU (its user's, if confined).
  public func makeFIFOs(for confinement: Confinement?) throws(HermitQEMUError) {
    for end in [".in", ".out"] {
      if let confinement {
        try confinement.createFIFO(monitor + end)
      } else {
        unlink(monitor + end)
        guard mkfifo(monitor + end, 0o600) == 0 else {
          throw .system(call: "mkfifo(\(monitor + end))", errno: errno)
        }
      }
    }
  }

  /// True when the status file holds the handler record.
  public func guestHasHandler() -> Bool {
    let fd = open(statusFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var text: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    // The status file is bounded (the runtime empties it above 1 MiB).
    while text.count < 4 << 20 {
      let count = read(fd, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      text += buffer[0..<count]
    }
    return String(decoding: text, as: UTF8.self).split(separator: "\n").contains {
      $0 == Self.handlerRecord
    }
  }

  /// Asks the guest to shut down if it said it can; false when it did not say so
  /// (or the monitor cannot be written), and the caller stops QEMU itself.
  public func ask() -> Bool {
    guard guestHasHandler() else { return false }
    // O_NONBLOCK: fails at once (ENXIO) rather than waiting if QEMU has not
    // opened its end; a FIFO's capacity far exceeds one command.
    let fd = open(monitor + ".in", O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    let written = Self.command.withCString { write(fd, $0, strlen($0)) }
    // QEMU's replies (banner, prompt, echo) go to `.out`: drain what is there,
    // so that many stops cannot fill it and block QEMU's main loop.
    let out = open(monitor + ".out", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
    if out >= 0 {
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while read(out, &buffer, buffer.count) > 0 {}
      close(out)
    }
    return written == Self.command.utf8.count
  }
}
