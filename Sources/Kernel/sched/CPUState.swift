// What the scheduler keeps per core, read and written under the scheduler's
// lock: the owning core switches `current` and reaps `dead`; any core reads
// `current` (is the core idle?) and sets `claimed` when it readies a thread.

final class CPUState {
  /// The thread running on this core.
  var current: Thread
  /// Runs when nothing else can: halts until the next interrupt.
  let idle: Thread
  /// A thread that exited on this core: its stack is still in use until the
  /// switch away from it completes, so the next thread frees it (Scheduler.reap).
  var dead: Thread? = nil
  /// Set when a thread was made ready for this idle core to take (and, from
  /// another core, an IPI sent); cleared when its idle loop looks at the run
  /// queue. Other cores' wake-ups pass over a claimed core.
  var claimed = false

  init(current: Thread, idle: Thread) {
    self.current = current
    self.idle = idle
  }

  var isIdle: Bool { current === idle }
}
