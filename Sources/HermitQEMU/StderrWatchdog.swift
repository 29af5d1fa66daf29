import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Reads QEMU's stderr line by line: forwards it, keeps the last lines for error
/// messages, and calls `onKVMFailure` on `KVM internal error`.
///
/// After that message QEMU dumps registers and then hangs instead of exiting
/// (PLATFORM.md), so the dump is swallowed and the supervisor kills QEMU.
final class StderrWatchdog: @unchecked Sendable {
  /// The marker QEMU prints when KVM cannot emulate an instruction.
  static let kvmFailureMarker = "KVM internal error"
  /// QEMU's note when it exits on SIGTERM/SIGINT; the runtime reports that itself.
  static let terminatingMarker = "terminating on signal"

  private let fd: Int32
  private let forwardFD: Int32
  private let onKVMFailure: @Sendable () -> Void
  private let lock = NSLock()
  private var lines: [String] = []
  private var kvmFailed = false
  /// QEMU's own error lines, held back: when QEMU fails, the runtime's one-line
  /// error quotes the last, and the user should not see it twice.
  private var heldBack: [String] = []

  /// `qemu-system-x86_64: cannot set up guest memory ...`, not a warning.
  static func isQEMUError(_ line: String) -> Bool {
    line.hasPrefix("qemu-system") && line.contains(": ") && !line.contains("warning:")
  }

  /// Writes the held-back error lines, but `quoted` (already in the runtime's error).
  func release(except quoted: String?) {
    let held = lock.withLock {
      defer { heldBack = [] }
      return heldBack
    }
    guard forwardFD >= 0 else { return }
    for line in held where line != quoted {
      let out = Array(line.utf8) + [UInt8(ascii: "\n")]
      _ = out.withUnsafeBytes { write(forwardFD, $0.baseAddress, $0.count) }
    }
  }

  init(fd: Int32, forwardTo forwardFD: Int32, onKVMFailure: @escaping @Sendable () -> Void) {
    self.fd = fd
    self.forwardFD = forwardFD
    self.onKVMFailure = onKVMFailure
  }

  /// The last (up to 20) lines read.
  var tail: [String] { lock.withLock { lines } }

  /// Reads until EOF (QEMU exited and closed its end).
  func run() {
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0, errno == EINTR { continue }
      if count <= 0 { break }
      pending += buffer[0..<count]
      while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
        handle(Array(pending[..<newline]))
        pending.removeSubrange(...newline)
      }
    }
    if !pending.isEmpty { handle(pending) }
  }

  /// Handles one line (without its newline).
  private func handle(_ bytes: [UInt8]) {
    let line = String(decoding: bytes, as: UTF8.self)
    let firstFailure: Bool = lock.withLock {
      lines.append(line)
      if lines.count > 20 { lines.removeFirst() }
      if line.contains(Self.kvmFailureMarker), !kvmFailed {
        kvmFailed = true
        return true
      }
      return false
    }
    if firstFailure { onKVMFailure() }
    let swallowed = lock.withLock { kvmFailed } || line.contains(Self.terminatingMarker)
    if !swallowed, Self.isQEMUError(line) {
      lock.withLock { heldBack.append(line) }
      return
    }
    if !swallowed, forwardFD >= 0 {
      let out = bytes + [UInt8(ascii: "\n")]
      _ = out.withUnsafeBytes { write(forwardFD, $0.baseAddress, $0.count) }
    }
  }
}
