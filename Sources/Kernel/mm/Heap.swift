// The kernel heap behind posix_memalign/free (and so behind every Swift class,
// Array, String and Dictionary).
//
// Two strategies, after blog_os's allocator/fixed_size_block.rs:
// - small blocks (≤ 4 KiB with header, alignment ≤ 16) come from per-size-class
//   free lists, refilled in 16 KiB slabs; freed blocks go back to their list;
// - everything else comes from an address-ordered free list, first fit, and is
//   coalesced with its neighbours on free, so large memory really comes back.
// Every block starts with a 16-byte header: word 0 = tag | size class or size,
// word 1 = start of the underlying block (for aligned large allocations).

public enum Heap {
  static let headerSize = 16
  static let classCount = 8  // 32, 64, ..., 4096 bytes including the header
  static let slabSize = 16384
  static let tagSmall: UInt64 = 0x5A
  static let tagLarge: UInt64 = 0xA5

  /// Per-class free-list heads, then the large free list's head, then the lock.
  nonisolated(unsafe) static var heads = UnsafeMutablePointer<UInt>(bitPattern: 0)
  /// Guards everything here: threads on any core allocate, and a thread may be
  /// preempted anywhere (interrupts are off while it is held).
  /// Its word follows the large list's head (zeroed by initialize: free).
  static var lock: SpinLock {
    SpinLock(
      word: UnsafeMutableRawPointer(heads! + classCount + 1).assumingMemoryBound(to: UInt32.self))
  }
  nonisolated(unsafe) static var arenaStart: UInt = 0
  nonisolated(unsafe) static var arenaEnd: UInt = 0
  /// Bytes handed out and not yet freed, headers and slack included.
  nonisolated(unsafe) public static var bytesInUse = 0
  /// Bytes held by small-block free lists.
  nonisolated(unsafe) static var bytesInSlabs = 0

  static func initialize(start: UInt64, end: UInt64) {
    arenaStart = (UInt(start) + 15) & ~15
    arenaEnd = UInt(end) & ~15
    let head = UnsafeMutablePointer<UInt>(bitPattern: arenaStart)!
    head.initialize(repeating: 0, count: classCount + 2)
    heads = head
    let first = arenaStart + UInt((classCount + 2) * 8 + 15) & ~15
    freeLarge(first, arenaEnd - first)
    bytesInUse = 0
  }

  public static var arenaBytes: Int { Int(arenaEnd - arenaStart) }

  /// Whether `address` lies in the heap's memory (all mapped, but for the
  /// guard pages of thread stacks).
  static func contains(_ address: UInt64) -> Bool {
    address >= UInt64(arenaStart) && address < UInt64(arenaEnd)
  }

  // MARK: Block list nodes: word 0 = size (large) or next (small), word 1 = next.

  private static func word(_ address: UInt, _ index: Int) -> UInt {
    UnsafeMutablePointer<UInt>(bitPattern: address)![index]
  }

  private static func setWord(_ address: UInt, _ index: Int, _ value: UInt) {
    UnsafeMutablePointer<UInt>(bitPattern: address)![index] = value
  }

  static func classSize(_ index: Int) -> Int { 32 << index }

  static func allocate(size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
    let alignment = max(alignment, 16)
    guard alignment & (alignment - 1) == 0, size >= 0, size < arenaBytes else { return nil }
    if alignment == 16 && size + headerSize <= classSize(classCount - 1) {
      var index = 0
      while classSize(index) < size + headerSize { index += 1 }
      if heads![index] == 0 { refill(index) }
      let block = heads![index]
      guard block != 0 else { return nil }
      heads![index] = word(block, 0)
      setWord(block, 0, UInt(tagSmall) | UInt(index) << 8)
      bytesInUse += classSize(index)
      bytesInSlabs -= classSize(index)
      return UnsafeMutableRawPointer(bitPattern: block + UInt(headerSize))
    }
    let total = (size + headerSize + alignment - 16 + 15) & ~15
    guard let (block, taken) = allocateLarge(UInt(total)) else { return nil }
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
      guard index < classCount else { panic("heap: corrupted block header") }
      setWord(header, 0, heads![index])
      heads![index] = header
      bytesInUse -= classSize(index)
      bytesInSlabs += classSize(index)
    case tagLarge:
      let size = tagged >> 8
      let block = word(header, 1)
      bytesInUse -= Int(size)
      freeLarge(block, size)
    default:
      panic("heap: double free or corrupted block header")
    }
  }

  /// Cuts a slab from the large list into blocks of class `index`.
  private static func refill(_ index: Int) {
    let size = UInt(classSize(index))
    guard let (slab, taken) = allocateLarge(UInt(slabSize)) else { return }
    var block = slab
    while block + size <= slab + taken {
      setWord(block, 0, heads![index])
      heads![index] = block
      block += size
      bytesInSlabs += Int(size)
    }
  }

  /// First fit over the address-ordered large free list. Takes from the end of
  /// the block found, so the list rarely needs relinking. Returns the block and
  /// how many bytes were really taken (a whole block when the rest is too small).
  private static func allocateLarge(_ size: UInt) -> (UInt, UInt)? {
    var previous: UInt = 0
    var current = heads![classCount]
    while current != 0 {
      let available = word(current, 0)
      let next = word(current, 1)
      if available >= size {
        if available - size >= 32 {
          setWord(current, 0, available - size)
          return (current + available - size, size)
        }
        if previous == 0 { heads![classCount] = next } else { setWord(previous, 1, next) }
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
    var current = heads![classCount]
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
      heads![classCount] = start
    }
    setWord(start, 0, length)
    setWord(start, 1, current)
  }

  /// Bytes in the large free list (what a big allocation can still get).
  public static var largeFreeBytes: Int {
    var total: UInt = 0
    var current = heads![classCount]
    while current != 0 {
      total += word(current, 0)
      current = word(current, 1)
    }
    return Int(total)
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
