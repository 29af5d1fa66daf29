// Preemptive round-robin scheduling over all cores, with one global run queue.
//
// - Nothing here runs until the app first spawns a thread (or sleeps, yields,
//   waits): apps without threads boot exactly as before. `start` then turns the
//   running context into the main thread, gives each core an idle thread, hooks
//   the timer and starts the other cores, which take work from the run queue.
// - Every ready thread has a core on its way to it: a thread made ready is
//   taken by this core if it idles (no IPI: it looks at the queue as soon as
//   the interrupt or the idle loop's pass returns), else by an idle core no
//   earlier wake-up claimed, which gets an IPI. Only when every core is busy
//   does it wait, for the next end of a time slice. So N busy threads on N
//   cores run on N cores.
// - One spin lock (`lock`) guards the run queue, the sleepers, every wait queue
//   (Lock, Condition, join) and each thread's state. Interrupts are off while
//   it is held.
// - A switch happens with the lock held, and the thread switched to releases it
//   (like xv6's sched/swtch): a thread put back on the run queue cannot be
//   taken by another core before its registers are saved, because that core
//   needs the lock first.
// - Each core's one-shot timer (Timer.swift) fires at the earliest deadline
//   and, while the core runs a thread, at the end of its time slice; it wakes
//   sleepers and preempts the running thread if another is ready.

enum Scheduler {
  nonisolated(unsafe) static var lock = SpinLock()
  nonisolated(unsafe) static var started = false
  nonisolated(unsafe) static var runQueue = ThreadQueue()
  /// Threads with a deadline (sleeping, or waiting with a timeout).
  nonisolated(unsafe) static var timers = TimerList()
  /// Per core, indexed by Arch.coreIndex(); fixed once started.
  nonisolated(unsafe) static var cores: [CPUState] = []
  static let idleStackSize = 16384

  /// Runs the lazy initialization of the scheduler's lock, which interrupt
  /// handlers take (Event.signal). Called at boot, before interrupts are on.
  ///
  /// Its first use must not be in a thread: Swift initializes such a global
  /// on first use (swift_once), and a second caller spins until the first
  /// caller's initializer returns. A NIC's interrupt that landed inside that
  /// initializer spun forever, interrupts off, on the core that was running
  /// it (issue 9: a DHCP bring-up on a tap, where the host's IPv6 frames
  /// interrupt at any time, stalled for good about once in ten runs).
  static func initializeBeforeInterrupts() {
    let interruptsWereEnabled = lock.acquire()
    lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  static func startIfNeeded() {
    if !started { start() }
  }

  private static func start() {
    defer {
      // The first thread runs: time slices from now on.
      let interruptsWereEnabled = lock.acquire()
      armTimer(busy: true)
      lock.release(interruptsWereEnabled: interruptsWereEnabled)
    }
    var cores = [
      CPUState(
        current: mainThread ?? Thread(runningContext: ()),
        idle: Thread(stackSize: idleStackSize, body: { Scheduler.idleLoop() }))
    ]
    for _ in 1..<max(Arch.configuredCores, 1) {
      let startUp = Thread(runningContext: ())
      cores.append(CPUState(current: startUp, idle: startUp))
    }
    Scheduler.cores = cores
    started = true
    Timer.tickHook = { Scheduler.timerTick() }
    Arch.startSecondaryCores(entry: { Scheduler.idleLoop() })
  }

  /// This core's state. Interrupts must be off (else the thread may move).
  static var currentCore: CPUState { cores[Arch.coreIndex()] }

  /// The app's main thread when `Thread.current` asked before the scheduler
  /// started; `start` makes it core 0's current thread.
  nonisolated(unsafe) static var mainThread: Thread? = nil

  /// The calling thread. Before the scheduler started, that is the main thread
  /// (the only one): asking does not start the scheduler.
  static var currentThread: Thread {
    if !started {
      if let mainThread { return mainThread }
      let main = Thread(runningContext: ())
      mainThread = main
      return main
    }
    let interruptsWereEnabled = Arch.disableInterrupts()
    defer { Arch.restoreInterrupts(interruptsWereEnabled) }
    return currentCore.current
  }

  static func spawn(stackSize: Int, _ body: @escaping () -> Void) -> Thread {
    startIfNeeded()
    let thread = Thread(stackSize: stackSize, body: body)
    let interruptsWereEnabled = lock.acquire()
    makeReady(thread)
    lock.release(interruptsWereEnabled: interruptsWereEnabled)
    return thread
  }

  // MARK: Switching (lock held)

  /// Puts `thread` on the run queue and finds it a core: this one if it idles
  /// (it takes the queue's next thread once the interrupt or the idle loop's
  /// pass returns, so no IPI), else an idle core that no other ready thread
  /// claimed, woken by IPI. If every core is busy or claimed, the thread waits
  /// for the end of a busy core's time slice.
  static func makeReady(_ thread: Thread) {
    thread.state = .ready
    runQueue.enqueue(thread)
    let me = Arch.coreIndex()
    if cores[me].isIdle && !cores[me].claimed {
      cores[me].claimed = true
      return
    }
    for index in 0..<min(cores.count, Arch.onlineCores) where index != me {
      let core = cores[index]
      if core.isIdle && !core.claimed {
        core.claimed = true
        Arch.wakeCore(index)
        return
      }
    }
  }

  /// Runs `next` on this core instead of the current thread, which must already
  /// be queued where it will be found again (or be the idle thread). Returns
  /// when some core switches back to the current thread, with the lock held.
  static func switchTo(_ next: Thread, on core: CPUState) {
    let previous = core.current
    guard previous !== next else { return }
    next.state = .running
    core.current = next
    // A thread switched in gets a whole time slice: a slice that began with the
    // previous thread would otherwise end soon after, preempting a thread that
    // may just have taken a Lock (its waiters then switch in and out again).
    armTimer(busy: next !== core.idle)
    // The guard page was unmapped on the core that spawned the thread; this
    // core's TLB may still map it (Memory.setGuardPage sends no shootdown).
    if let stack = next.stack { Arch.invalidateMapping(of: stack) }
    Arch.switchContext(save: previous.context, to: next.context.pointee)
    reap()  // perhaps on another core now
  }

  /// Blocks the current thread, which the caller queued on some wait queue.
  static func blockCurrent(on core: CPUState) {
    Console.closeLine()  // a line left open (print without newline) is not held while blocked
    switchTo(runQueue.dequeue() ?? core.idle, on: core)
  }

  /// Frees the stack of the thread that exited on this core before the switch
  /// to us, and drops the scheduler's reference to it.
  static func reap() {
    let core = currentCore
    if let dead = core.dead {
      core.dead = nil
      dead.releaseStack()
    }
  }

  // MARK: Entry points

  static func yield() {
    startIfNeeded()
    let interruptsWereEnabled = lock.acquire()
    rotate()
    lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// The timer interrupt on any core (interrupts are off).
  static func timerTick() {
    let interruptsWereEnabled = lock.acquire()
    wakeSleepers()
    armTimer(busy: !currentCore.isIdle || !runQueue.isEmpty)
    rotate()
    lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Arms this core's one-shot timer for the earliest deadline and, if it runs
  /// threads (`busy`), for the end of the time slice. Call with `lock` held.
  static func armTimer(busy: Bool) {
    var target = timers.earliest
    if busy {
      let sliceEnd = Timer.uptimeNanoseconds() &+ Timer.slice
      target = min(target ?? sliceEnd, sliceEnd)
    }
    Timer.arm(at: target)
  }

  /// Round robin: puts this core's running thread at the back of the run queue
  /// and switches to the first ready one, if there is one. Call with `lock` held.
  private static func rotate() {
    let core = currentCore
    if !core.isIdle, let next = runQueue.dequeue() {
      core.current.state = .ready
      runQueue.enqueue(core.current)
      switchTo(next, on: core)
    }
  }

  /// Each core's idle thread: take a ready thread if there is one, else halt
  /// until an interrupt (the tick, or a wake-up from makeReady).
  static func idleLoop() {
    while true {
      _ = lock.acquire()
      currentCore.claimed = false  // this pass takes the thread a wake-up meant for us
      wakeSleepers()
      if let next = runQueue.dequeue() {
        switchTo(next, on: currentCore)  // back here with the timer armed for idling
      } else {
        armTimer(busy: false)  // idle: only deadlines wake this core
      }
      lock.release(interruptsWereEnabled: false)
      Arch.idle()  // enables interrupts and halts, atomically
    }
  }

  /// Waits until `thread` finished or uptime `deadline` (ns) passed; returns
  /// whether it finished.
  @discardableResult
  static func join(_ thread: Thread, deadline: UInt64? = nil) -> Bool {
    startIfNeeded()
    let interruptsWereEnabled = lock.acquire()
    defer { lock.release(interruptsWereEnabled: interruptsWereEnabled) }
    while thread.state != .finished {
      guard block(on: thread.joiners, deadline: deadline) else { break }
    }
    return thread.state == .finished
  }

  static func isFinished(_ thread: Thread) -> Bool {
    let interruptsWereEnabled = lock.acquire()
    defer { lock.release(interruptsWereEnabled: interruptsWereEnabled) }
    return thread.state == .finished
  }

  /// Sleeps the current thread until `Timer.uptimeNanoseconds()` ≥ `deadline`.
  static func sleep(until deadline: UInt64) {
    startIfNeeded()
    let interruptsWereEnabled = lock.acquire()
    _ = block(on: nil, deadline: deadline)
    lock.release(interruptsWereEnabled: interruptsWereEnabled)
  }

  /// Blocks the current thread on `list` (if any) until `wake(from:)` takes it,
  /// or until uptime `deadline` (if any) passes. Returns false if the deadline
  /// ended the wait. Call with `lock` held; returns with it held.
  static func block(on list: WaitList?, deadline: UInt64?) -> Bool {
    let core = currentCore
    let thread = core.current
    thread.state = .blocked
    thread.timedOut = false
    if let list {
      list.queue.enqueue(thread)
      thread.waitList = list
    }
    if let deadline {
      thread.wakeTime = deadline
      timers.insert(thread)
      Timer.arm(atMost: deadline)
    }
    blockCurrent(on: core)
    return !thread.timedOut
  }

  /// Makes the first thread waiting on `list` ready; returns whether there was one.
  /// Call with `lock` held.
  @discardableResult
  static func wake(from list: WaitList) -> Bool {
    guard let thread = list.queue.dequeue() else { return false }
    thread.waitList = nil
    timers.remove(thread)
    makeReady(thread)
    return true
  }

  private static func wakeSleepers() {
    guard !timers.isEmpty else { return }
    timers.removeExpired(now: Timer.uptimeNanoseconds()) { thread in
      if let list = thread.waitList {
        list.queue.remove(thread)
        thread.waitList = nil
        thread.timedOut = true
      }
      makeReady(thread)
    }
  }

  // MARK: Thread start and end

  /// Runs the current thread's body once (a function of its own, so nothing it
  /// holds outlives it on the stack that exitCurrent abandons).
  @inline(never)
  static func runCurrentBody() {
    let thread = currentThread
    let body = thread.body
    thread.body = nil
    body?()
  }

  /// Ends the current thread: wakes its joiners and switches away for good.
  static func exitCurrent() -> Never {
    _ = lock.acquire()
    Console.closeLine()
    let (save, target) = retireCurrent()
    Arch.switchContext(save: save, to: target)
    panic("sched: a finished thread ran again")
  }

  /// Marks the current thread finished and picks the next; returns where to
  /// save the dying context and what to switch to. No reference to the dying
  /// thread stays on its stack: `dead` keeps it until the next thread reaps it.
  @inline(never)
  private static func retireCurrent() -> (UnsafeMutablePointer<UInt64>, UInt64) {
    let core = currentCore
    let dying = core.current
    dying.state = .finished
    while wake(from: dying.joiners) {}
    let next = runQueue.dequeue() ?? core.idle
    next.state = .running
    if let stack = next.stack { Arch.invalidateMapping(of: stack) }
    core.dead = dying
    core.current = next
    return (dying.context, next.context.pointee)
  }
}
