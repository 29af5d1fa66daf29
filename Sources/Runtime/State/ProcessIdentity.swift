import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// Identity and liveness of a process, robust against pid reuse.
enum ProcessIdentity {
  /// Field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot), and the
  /// state letter (field 3); nil if the process does not exist.
  static func stat(_ pid: Int32) -> (startTime: UInt64, state: Character)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = text.lastIndex(of: ")")
    else { return nil }
    // The command name (field 2) may contain spaces: split after its ')'.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else {
      return nil
    }
    return (start, state)
  }

  /// Start time of `pid`, for `ContainerRecord.pidStartTime`.
  static func startTime(_ pid: Int32) -> UInt64? { stat(pid)?.startTime }

  /// True if `pid` runs and is the process that started at `startTime` (zombies,
  /// which have exited but not been reaped, count as gone).
  static func isAlive(_ pid: Int32, startTime: UInt64?) -> Bool {
    guard pid > 0, let info = stat(pid), info.state != "Z", info.state != "X" else { return false }
    if let startTime, info.startTime != startTime { return false }
    return true
  }

  /// Waits up to `timeout` for `pid` to be gone. True if it is.
  static func waitGone(_ pid: Int32, startTime: UInt64?, timeout: Duration) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while isAlive(pid, startTime: startTime) {
      if ContinuousClock.now >= deadline { return false }
      usleep(10_000)
    }
    return true
  }
}
