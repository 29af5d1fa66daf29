/// How a guest ended, decoded from the status record the kernel writes to the
/// debugcon port (0xe9) and QEMU's exit status (docs/ABI.md, "Exit status channel").
///
/// isa-debug-exit carries only 7 bits (`(N << 1) | 1`), and with `-no-reboot` a triple
/// fault makes QEMU exit 0, so the record is what makes the exit code exact and keeps
/// a crash from ever looking like success.
public enum GuestStatus: Equatable, Sendable {
  /// The app called `exit(code)` or returned from main (code 0).
  case exited(UInt8)
  /// The kernel panicked or took a CPU exception it could not handle.
  case panicked
  /// The guest reset (triple fault) without writing a status record.
  case reset
  /// QEMU ended in a way that no guest exit explains.
  case crashed(qemuStatus: Int32)

  /// The prefix of every status record line.
  public static let recordPrefix = "HERMIT-STATUS "
  /// The value a panic writes to isa-debug-exit.
  public static let panicExitValue: UInt8 = 0x7f

  /// The record line the kernel writes for `exit(code)`.
  public static func exitRecord(_ code: UInt8) -> String {
    recordPrefix + "exit=" + String(code) + "\n"
  }

  /// The record line the kernel writes for a panic.
  public static var panicRecord: String { recordPrefix + "panic\n" }

  /// The value the kernel writes to isa-debug-exit for `exit(code)`.
  public static func exitValue(_ code: UInt8) -> UInt8 { code & 0x7f }

  /// The QEMU process exit status that isa-debug-exit produces for `value`.
  public static func qemuStatus(forExitValue value: UInt8) -> Int32 {
    (Int32(value) << 1) | 1
  }

  /// Decodes the status record (the whole debugcon file, possibly empty) and QEMU's
  /// exit status into how the guest ended.
  ///
  /// The last record wins. An `exit=N` record counts only when QEMU's status agrees
  /// with it, so a stale or forged record cannot turn a crash into success.
  public static func decode(record: String, qemuExitStatus: Int32) -> GuestStatus {
    var last: Substring?
    for line in record.split(separator: "\n") where line.hasPrefix(recordPrefix) {
      last = line.dropFirst(recordPrefix.count)
    }
    if let body = last {
      if body == "panic" { return .panicked }
      if body.hasPrefix("exit="), let code = UInt8(body.dropFirst(5)),
        qemuExitStatus == qemuStatus(forExitValue: exitValue(code))
      {
        return .exited(code)
      }
      return .crashed(qemuStatus: qemuExitStatus)
    }
    return qemuExitStatus == 0 ? .reset : .crashed(qemuStatus: qemuExitStatus)
  }
}
