// The kernel heap behind posix_memalign/free (and so behind every Swift class,
// Array, String and Dictionary).
//
// Two strategies, after blog_os's allocator/fixed_size_block.rs:
// - small blocks (≤ 4 KiB with header, alignment ≤ 16) come from slabs of one
//   size class each. A slab has its own free list and a count of blocks in
//   use; slabs with a free block are on their class's list. A slab whose last
//   block is freed goes back to the large list, but for one empty slab per
//   class kept for the next allocation (and given back too when a large
//   allocation would fail otherwise), so small objects never strand memory;
// - everything else comes from an address-ordered free list, first fit, and is
//   coalesced with its neighbours on free, so large memory really comes back.
//   RAM in several regions (below and above 4 GiB) is all on this list.
// Every block starts with a 16-byte header: word 0 = tag | size class or size,
// word 1 = its slab (small) or the start of the underlying block (large, for
// aligned allocations).
public enum Heap {
  static let headerSize = 16
  static let classCount = 8  // 32, 64, ..., 4096 bytes including the header
  /// A slab holds at least this many bytes of blocks, and at least 4 blocks.
  static let slabBlockBytes = 16384
  static let tagSmall: UInt64 = 0x5A
  static let tagLarge: UInt64 = 0xA5

  /// Words at the start of the first region: per class, its list of slabs
  /// with a free block; then the large free list's head; then the lock word;
  /// then per class, how many of its slabs are empty.
  nonisolated(unsafe) static var heads = UnsafeMutablePointer<UInt>(bitPattern: 0)
  static let largeHead = classCount
  static let lockWord = classCount + 1
  static let emptyCounts = classCount + 2
  static let stateWords = 2 * classCount + 2
  /// Guards everything here: threads on any core allocate, and a thread may be
  /// preempted anywhere (interrupts are off while it is held).
  static var lock: SpinLock {
    SpinLock(
      word: UnsafeMutableRawPointer(heads! + lockWord).assumingMemoryBound(to: UInt32.self))
  }
  /// The lowest and highest address of the heap's regions (with any holes between).
  nonisolated(unsafe) static var arenaStart: UInt = 0
  nonisolated(unsafe) static var arenaEnd: UInt = 0
  /// The bytes of all regions together.
  nonisolated(unsafe) public private(set) static var arenaBytes = 0
  /// Bytes handed out and not yet freed, headers and slack included.
  nonisolated(unsafe) public static var bytesInUse = 0
  /// Bytes of free blocks in slabs.
  nonisolated(unsafe) static var bytesInSlabs = 0
  /// Slabs in use (each holding blocks of one class), for tests and reports.
  nonisolated(unsafe) public private(set) static var slabCount = 0

  /// Slab header words, before its blocks.
  static let slabNext = 0, slabPrevious = 1, slabFree = 2, slabInUse = 3
  static let slabCapacity = 4, slabClass = 5, slabBytes = 6
  static let slabHeaderSize = 64

  /// The heap over [start, end): its state at the start, the rest free.
  static func initialize(start: UInt64, end: UInt64) {
    arenaStart = (UInt(start) + 15) & ~15
    arenaEnd = UInt(end) & ~15
    let head = UnsafeMutablePointer<UInt>(bitPattern: arenaStart)!
    head.initialize(repeating: 0, count: stateWords)
    heads = head
    let first = arenaStart + UInt(stateWords * 8 + 15) & ~15
    arenaBytes = Int(arenaEnd - arenaStart)
    freeLarge(first, arenaEnd - first)
    bytesInUse = 0
  }

  /// Adds the RAM in [start, end), apart from the first region, to the heap.
  /// Boot only, before any other core or thread runs.
  static func addRegion(start: UInt64, end: UInt64) {
    let low = (UInt(start) + 15) & ~15
    let high = UInt(end) & ~15
    guard high > low + 64 else { return }
    arenaStart = min(arenaStart, low)
    arenaEnd = max(arenaEnd, high)
    arenaBytes += Int(high - low)
    freeLarge(low, high - low)
  }

  /// Whether `address` lies in the heap's memory (all mapped, but for the
  /// guard pages of thread stacks).
  static func contains(_ address: UInt64) -> Bool {
    address >= UInt64(arenaStart) && address < UInt64(arenaEnd)
  }

  // MARK: Words of blocks and slabs: list nodes are word 0 = size (large) or
  // next (a slab's free blocks), word 1 = next (large).

  private static func word(_ address: UInt, _ index: Int) -> UInt {
    UnsafeMutablePointer<UInt>(bitPattern: address)![index]
  }

  private static func setWord(_ address: UInt, _ index: Int, _ value: UInt) {
    UnsafeMutablePointer<UInt>(bitPattern: address)![index] = value
  }

  static func classSize(_ index: Int) -> Int { 32 << index }

  /// Blocks per slab of class `index`.
  static func slabBlocks(_ index: Int) -> Int { max(slabBlockBytes / classSize(index), 4) }

  static func allocate(size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
    let alignment = max(alignment, 16)
    guard alignment & (alignment - 1) == 0, size >= 0, size < arenaBytes else { return nil }
    if alignment == 16 && size + headerSize <= classSize(classCount - 1) {
      var index = 0
      while classSize(index) < size + headerSize { index += 1 }
      return allocateSmall(index)
    }
    let total = (size + headerSize + alignment - 16 + 15) & ~15
    guard let (block, taken) = allocateLargeReclaiming(UInt(total)) else { return nil }
    let pointer = (block + UInt(headerSize) + UInt(alignment) - 1) & ~(UInt(alignment) - 1)
    setWord(pointer - UInt(headerSize), 0, UInt(tagLarge) | taken << 8)
    setWord(pointer - UInt(headerSize), 1, block)
    bytesInUse += Int(taken)
    return UnsafeMutableRawPointer(bitPattern: pointer)
  }

  static func free(_ pointer: UnsafeMutableRawPointer) {
    let address = UInt(bitPattern: pointer)
    guard address & 15 == 0, address > arenaStart, address < arenaEnd else {
      panic("heap: free of a pointer that was never allocated")
    }
    let header = address - UInt(headerSize)
    let tagged = word(header, 0)
    switch UInt64(tagged & 0xFF) {
    case tagSmall:
      let index = Int(tagged >> 8)
      let slab = word(header, 1)
      guard index < classCount, slab >= arenaStart, slab < header, word(slab, slabClass) == index
      else { panic("heap: corrupted block header") }
      freeSmall(header, slab: slab, index: index)
    case tagLarge:
      let size = tagged >> 8
      let block = word(header, 1)
      bytesInUse -= Int(size)
      freeLarge(block, size)
    default:
      panic("heap: double free or corrupted block header")
    }
  }

  // MARK: Small blocks

  private static func allocateSmall(_ index: Int) -> UnsafeMutableRawPointer? {
    var slab = heads![index]
    if slab == 0 {
      guard let fresh = newSlab(index) else { return nil }
      slab = fresh
    }
    let block = word(slab, slabFree)
    let inUse = word(slab, slabInUse)
    if inUse == 0 { heads![emptyCounts + index] -= 1 }
    setWord(slab, slabFree, word(block, 0))
    setWord(slab, slabInUse, inUse + 1)
    if word(slab, slabFree) == 0 { unlinkSlab(slab, index) }  // full: off the list
    setWord(block, 0, UInt(tagSmall) | UInt(index) << 8)
    setWord(block, 1, slab)
    bytesInUse += classSize(index)
    bytesInSlabs -= classSize(index)
    return UnsafeMutableRawPointer(bitPattern: block + UInt(headerSize))
  }

  private static func freeSmall(_ block: UInt, slab: UInt, index: Int) {
    let wasFull = word(slab, slabFree) == 0
    setWord(block, 0, word(slab, slabFree))
    setWord(block, 1, 0)  // a second free of this block fails the header check
    setWord(slab, slabFree, block)
    let inUse = word(slab, slabInUse) - 1
    setWord(slab, slabInUse, inUse)
    bytesInUse -= classSize(index)
    bytesInSlabs += classSize(index)
    if wasFull { linkSlab(slab, index) }
    if inUse == 0 {
      if heads![emptyCounts + index] > 0 {
        releaseSlab(slab, index)  // one empty slab per class is enough
      } else {
        heads![emptyCounts + index] += 1
      }
    }
  }

  /// A slab for class `index` from the large list, its blocks on its free
  /// list, itself on the class's list.
  private static func newSlab(_ index: Int) -> UInt? {
    let size = UInt(classSize(index))
    let count = UInt(slabBlocks(index))
    let bytes = UInt(slabHeaderSize) + count * size
    guard let (slab, taken) = allocateLargeReclaiming(bytes) else { return nil }
    var block = slab + UInt(slabHeaderSize) + (count - 1) * size
    var free: UInt = 0
    while block >= slab + UInt(slabHeaderSize) {  // the lowest block first
      setWord(block, 0, free)
      free = block
      block -= size
    }
    setWord(slab, slabFree, free)
    setWord(slab, slabInUse, 0)
    setWord(slab, slabCapacity, count)
    setWord(slab, slabClass, UInt(index))
    setWord(slab, slabBytes, taken)
    linkSlab(slab, index)
    heads![emptyCounts + index] += 1
    bytesInSlabs += Int(count * size)
    slabCount += 1
    return slab
  }

  /// Gives an empty slab back to the large list.
  private static func releaseSlab(_ slab: UInt, _ index: Int) {
    unlinkSlab(slab, index)
    bytesInSlabs -= Int(word(slab, slabCapacity)) * classSize(index)
    slabCount -= 1
    freeLarge(slab, word(slab, slabBytes))
  }

  private static func linkSlab(_ slab: UInt, _ index: Int) {
    let first = heads![index]
    setWord(slab, slabNext, first)
    setWord(slab, slabPrevious, 0)
    if first != 0 { setWord(first, slabPrevious, slab) }
    heads![index] = slab
  }

  private static func unlinkSlab(_ slab: UInt, _ index: Int) {
    let next = word(slab, slabNext)
    let previous = word(slab, slabPrevious)
    if previous != 0 { setWord(previous, slabNext, next) } else { heads![index] = next }
    if next != 0 { setWord(next, slabPrevious, previous) }
    setWord(slab, slabNext, 0)
    setWord(slab, slabPrevious, 0)
  }

  /// Gives every empty slab back to the large list; returns whether there was one.
  private static func releaseEmptySlabs() -> Bool {
    var released = false
    for index in 0..<classCount where heads![emptyCounts + index] > 0 {
      var slab = heads![index]
      while slab != 0 {
        let next = word(slab, slabNext)
        if word(slab, slabInUse) == 0 {
          releaseSlab(slab, index)
          released = true
        }
        slab = next
      }
      heads![emptyCounts + index] = 0
    }
    return released
  }

  // MARK: Large blocks

  /// `allocateLarge`, and if that fails, again after the empty slabs went back.
  private static func allocateLargeReclaiming(_ size: UInt) -> (UInt, UInt)? {
    if let found = allocateLarge(size) { return found }
    return releaseEmptySlabs() ? allocateLarge(size) : nil
  }

  /// First fit over the address-ordered large free list. Takes from the end of
  /// the block found, so the list rarely needs relinking. Returns the block and
  /// how many bytes were really taken (a whole block when the rest is too small).
  private static func allocateLarge(_ size: UInt) -> (UInt, UInt)? {
    var previous: UInt = 0
    var current = heads![largeHead]
    while current != 0 {
      let available = word(current, 0)
      let next = word(current, 1)
      if available >= size {
        if available - size >= 32 {
          setWord(current, 0, available - size)
          return (current + available - size, size)
        }
        if previous == 0 { heads![largeHead] = next } else { setWord(previous, 1, next) }
        return (current, available)
      }
      previous = current
      current = next
    }
    return nil
  }

  /// Returns a block to the large list, merging it with adjacent free blocks.
  private static func freeLarge(_ block: UInt, _ size: UInt) {
    var previous: UInt = 0
    var current = heads![largeHead]
    while current != 0 && current < block {
      previous = current
      current = word(current, 1)
    }
    guard current != block, previous == 0 || previous + word(previous, 0) <= block else {
      panic("heap: double free of a large block")
    }
    var start = block
    var length = size
    if current != 0 && block + size == current {  // merge with the next block
      length += word(current, 0)
      current = word(current, 1)
    }
    if previous != 0 && previous + word(previous, 0) == block {  // and the previous
      start = previous
      length += word(previous, 0)
    } else if previous != 0 {
      setWord(previous, 1, start)
    } else {
      heads![largeHead] = start
    }
    setWord(start, 0, length)
    setWord(start, 1, current)
  }

  /// Bytes in the large free list (what a big allocation can still get).
  public static var largeFreeBytes: Int {
    var total: UInt = 0
    var current = heads![largeHead]
    while current != 0 {
      total += word(current, 0)
      current = word(current, 1)
    }
    return Int(total)
  }

  /// The largest block on the large free list: the largest allocation that
  /// succeeds without giving back empty slabs.
  public static var largestFreeBlock: Int {
    let interruptsWereEnabled = lock.acquire()
    defer { lock.release(interruptsWereEnabled: interruptsWereEnabled) }
    var best: UInt = 0
    var current = heads![largeHead]
    while current != 0 {
      best = max(best, word(current, 0))
      current = word(current, 1)
    }
    return Int(best)
  }
}

@_cdecl("hermit_heap_allocate")
func hermitHeapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
  let interruptsWereEnabled = Heap.lock.acquire()
  defer { Heap.lock.release(interruptsWereEnabled: interruptsWereEnabled) }
  return Heap.allocate(size: size, alignment: alignment)
}

/// Swift's runtime cannot go on without the memory it asked for (it would trap or
/// use a null pointer): say what ran out instead. Called without the heap lock;
/// writes the message without allocating.
@_cdecl("hermit_out_of_memory")
func hermitOutOfMemory(_ size: Int) -> Never {
  Shutdown.panic {
    Console.write("heap: out of memory allocating ")
    Console.writeDecimal(UInt64(size))
    Console.write(" bytes (heap ")
    Console.writeDecimal(UInt64(Heap.arenaBytes >> 10))
    Console.write(" KiB, ")
    Console.writeDecimal(UInt64(Heap.bytesInUse >> 10))
    Console.write(" KiB in use): give the guest more memory (--memory)")
  }
}

@_cdecl("hermit_heap_free")
func hermitHeapFree(_ pointer: UnsafeMutableRawPointer?) {
  guard let pointer else { return }
  let interruptsWereEnabled = Heap.lock.acquire()
  defer { Heap.lock.release(interruptsWereEnabled: interruptsWereEnabled) }
  Heap.free(pointer)
}
