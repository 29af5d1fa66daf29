#if canImport(Glibc)
  import Glibc
#endif

/// QEMU's stderr, line by line: forwards it, keeps the last lines for error
/// messages, and notices `KVM internal error`.
///
/// After that message QEMU dumps registers and then hangs instead of exiting
/// (PLATFORM.md), so the dump is swallowed and the supervisor kills QEMU.
///
/// The supervisor's event loop feeds it whatever `read` returned; it owns no
/// descriptor and no thread.
struct StderrWatchdog {
  /// The marker QEMU prints when KVM cannot emulate an instruction.
  static let kvmFailureMarker = "KVM internal error"
  /// QEMU's note when it exits on SIGTERM/SIGINT; the runtime reports that itself.
  static let terminatingMarker = "terminating on signal"
  /// How many lines `tail` keeps.
  static let tailLength = 20

  private let forwardFD: Int32
  private var pending: [UInt8] = []
  /// The last (up to `tailLength`) lines read.
  private(set) var tail: [String] = []
  /// `KVM internal error` was seen.
  private(set) var kvmFailed = false
  /// QEMU's own error lines, held back: when QEMU fails, the runtime's one-line
  /// error quotes the last, and the user should not see it twice.
  private var heldBack: [String] = []

  /// - Parameter forwardFD: where lines go once judged; -1 drops them.
  init(forwardTo forwardFD: Int32) { self.forwardFD = forwardFD }

  /// `qemu-system-x86_64: cannot set up guest memory ...`, not a warning.
  static func isQEMUError(_ line: String) -> Bool {
    line.hasPrefix("qemu-system") && line.contains(": ") && !line.contains("warning:")
  }

  /// Takes the next bytes of the stream.
  /// - Returns: true when these bytes held the first `KVM internal error`.
  mutating func consume(_ bytes: some Collection<UInt8>) -> Bool {
    let failedBefore = kvmFailed
    pending += bytes
    var start = pending.startIndex
    while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
      handle(pending[start..<newline])
      start = newline + 1
    }
    pending.removeSubrange(..<start)
    return kvmFailed && !failedBefore
  }

  /// The stream ended: a last line without newline counts too.
  /// - Returns: true when that line was the first `KVM internal error`.
  mutating func finish() -> Bool {
    guard !pending.isEmpty else { return false }
    let failedBefore = kvmFailed
    handle(pending[...])
    pending = []
    return kvmFailed && !failedBefore
  }

  /// Writes the held-back error lines, but `quoted` (already in the runtime's error).
  mutating func release(except quoted: String?) {
    defer { heldBack = [] }
    for line in heldBack where line != quoted { forward(Array(line.utf8)) }
  }

  /// Handles one line (without its newline).
  private mutating func handle(_ bytes: ArraySlice<UInt8>) {
    let line = String(decoding: bytes, as: UTF8.self)
    tail.append(line)
    if tail.count > Self.tailLength { tail.removeFirst() }
    if line.contains(Self.kvmFailureMarker) { kvmFailed = true }
    if kvmFailed || line.contains(Self.terminatingMarker) { return }
    if Self.isQEMUError(line) {
      heldBack.append(line)
    } else {
      forward(Array(bytes))
    }
  }

  private func forward(_ line: [UInt8]) {
    guard forwardFD >= 0 else { return }
    let out = line + [UInt8(ascii: "\n")]
    _ = out.withUnsafeBytes { write(forwardFD, $0.baseAddress, $0.count) }
  }
}
