// Kernel threads: each has its own stack and saved context. The app's API is
// `Thread.spawn { ... }` (returning a JoinHandle), `Thread.yield()`,
// `Thread.current`; the scheduler (Scheduler.swift) runs them round-robin.

/// A thread of execution with its own stack.
public final class Thread {
  /// Stack size of threads from `spawn` unless the caller asks for another.
  public static let defaultStackSize = 64 * 1024
  /// One page below each stack stays unmapped.
  static let guardSize = 4096

  enum State { case ready, running, blocked, finished }

  /// 0 for the app's main thread, then 1, 2, ... in spawn order (idle threads
  /// and the other cores' start-up contexts count too).
  public let id: Int
  /// Word 0: the stack pointer saved by the last switch away from this thread.
  let context: UnsafeMutablePointer<UInt64>
  /// Owned stack memory (guard page first); nil for a context that started on
  /// a boot stack, and once the thread finished.
  var stack: UnsafeMutableRawPointer?
  var body: (() -> Void)?
  var state: State
  /// Link in the one ThreadQueue the thread is in.
  var next: Thread? = nil
  /// Threads waiting in `join` for this one to finish.
  let joiners = WaitList()
  /// For a sleeping thread: when to wake, in uptime nanoseconds.
  var wakeTime: UInt64 = 0
  /// The thread's slot in the scheduler's TimerList, -1 when not in it.
  var timerSlot = -1
  /// The WaitList a blocked thread is in (for removal at its deadline).
  var waitList: WaitList? = nil
  /// Set when a timed wait ended by its deadline rather than a wake-up.
  var timedOut = false

  nonisolated(unsafe) static var nextID = 0

  /// A new thread that will run `body` once the scheduler switches to it.
  init(stackSize: Int, body: @escaping () -> Void) {
    id = Thread.takeID()
    // [guard page][stack ... top]: the guard is unmapped, so an overflow
    // faults instead of overwriting the heap below.
    let size = (max(stackSize, Thread.guardSize) + Thread.guardSize - 1) & ~(Thread.guardSize - 1)
    let stack = UnsafeMutableRawPointer.allocate(
      byteCount: Thread.guardSize + size, alignment: Thread.guardSize)
    Memory.setGuardPage(stack, true)
    self.stack = stack
    context = .allocate(capacity: 1)
    context.initialize(to: Arch.prepareThreadStack(top: stack + Thread.guardSize + size))
    self.body = body
    state = .ready
  }

  /// The context already running on this core (the app's main thread, or an
  /// AP's start-up stack), which becomes a thread the scheduler can switch away from.
  init(runningContext: Void) {
    id = Thread.takeID()
    stack = nil
    context = .allocate(capacity: 1)
    context.initialize(to: 0)
    body = nil
    state = .running
  }

  /// Gives the stack back once the thread finished and no core runs on it
  /// (Scheduler.reap). Not in deinit: a Thread may outlive its stack in a
  /// JoinHandle, and apps that never spawn should not link the paging code.
  func releaseStack() {
    guard let stack else { return }
    Memory.setGuardPage(stack, false)
    stack.deallocate()
    self.stack = nil
  }

  deinit { context.deallocate() }

  private static func takeID() -> Int {
    let interruptsWereEnabled = Scheduler.lock.acquire()
    defer { Scheduler.lock.release(interruptsWereEnabled: interruptsWereEnabled) }
    nextID += 1
    return nextID - 1
  }
}

extension Thread {
  /// Starts `body` on a new thread; `join()` on the result waits for it and
  /// returns what `body` returned. The thread may run on any core.
  public static func spawn<T>(
    stackSize: Int = Thread.defaultStackSize, _ body: @escaping () -> T
  ) -> JoinHandle<T> {
    let slot = ResultSlot<T>()
    let thread = Scheduler.spawn(stackSize: stackSize) { slot.value = body() }
    return JoinHandle(thread: thread, slot: slot)
  }

  /// Lets other ready threads run first; returns at once if there are none.
  public static func yield() { Scheduler.yield() }

  /// The thread calling this.
  public static var current: Thread { Scheduler.currentThread }

  /// The core the calling thread runs on at this moment (0 = the boot core).
  public static var currentCore: Int { Arch.coreIndex() }

  /// How many cores run threads (all the machine's once a thread was spawned).
  public static var coreCount: Int {
    Scheduler.startIfNeeded()
    return Arch.onlineCores
  }
}

/// Where a thread leaves its result for `JoinHandle.join`.
final class ResultSlot<T> {
  var value: T? = nil
}

/// The first Swift code of a new thread (Switch.asm's thread_start): the
/// switch that got here holds the scheduler's lock, which we release; then the
/// body runs with interrupts enabled, and the thread ends.
@_cdecl("kernel_thread_entry")
func kernelThreadEntry() -> Never {
  Scheduler.reap()
  Scheduler.lock.release(interruptsWereEnabled: true)
  Scheduler.runCurrentBody()
  Scheduler.exitCurrent()
}
