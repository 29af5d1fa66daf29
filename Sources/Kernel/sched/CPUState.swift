// What the scheduler keeps per core. Only the owning core reads or writes its
// entry, with interrupts disabled (under the scheduler's lock).

final class CPUState {
  /// The thread running on this core.
  var current: Thread
  /// Runs when nothing else can: halts until the next interrupt.
  let idle: Thread
  /// A thread that exited on this core: its stack is still in use until the
  /// switch away from it completes, so the next thread frees it (Scheduler.reap).
  var dead: Thread? = nil

  init(current: Thread, idle: Thread) {
    self.current = current
    self.idle = idle
  }

  var isIdle: Bool { current === idle }
}
