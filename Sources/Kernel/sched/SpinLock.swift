// A spin lock for the kernel's own short critical sections (scheduler queues,
// heap). Holding it keeps interrupts off on the holding core, so a timer
// interrupt can neither preempt the holder nor spin on the lock it holds.

struct SpinLock {
  /// 0 = free, 1 = held (arch/x86_64/SpinLock.asm).
  let word: UnsafeMutablePointer<UInt32>

  /// A free lock in `storage`, which lives as long as the lock is used.
  init(storage: UnsafeMutablePointer<UInt32>) {
    word = storage
    word.pointee = 0
  }

  /// The lock whose word (already initialized) is at `word`.
  init(word: UnsafeMutablePointer<UInt32>) { self.word = word }

  /// A lock in storage of its own from the heap (not for the heap's own lock).
  init() { self.init(storage: .allocate(capacity: 1)) }

  /// Disables interrupts, then spins until the lock is ours. Returns whether
  /// interrupts were enabled, for `release`.
  func acquire() -> Bool {
    let interruptsWereEnabled = Arch.disableInterrupts()
    Arch.spinLock(word)
    return interruptsWereEnabled
  }

  func release(interruptsWereEnabled: Bool) {
    Arch.spinUnlock(word)
    Arch.restoreInterrupts(interruptsWereEnabled)
  }
}
