// Allocation that can fail: the network path answers running out of memory by
// dropping a packet or refusing a connection, never by a panic. In the kernel
// these are the kernel heap's own entry points (Kernel/mm/Heap.swift, nil when
// the heap is exhausted); on the host, the C library's malloc and free.

#if hasFeature(Embedded)
  @_extern(c, "hermit_heap_allocate")
  func netHeapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer?
  @_extern(c, "hermit_heap_free") func netFree(_ pointer: UnsafeMutableRawPointer?)
  func netAllocate(_ size: Int) -> UnsafeMutableRawPointer? { netHeapAllocate(size, 16) }
#else
  #if canImport(Glibc)
    import Glibc
  #endif
  func netAllocate(_ size: Int) -> UnsafeMutableRawPointer? { malloc(size) }
  func netFree(_ pointer: UnsafeMutableRawPointer?) { free(pointer) }
#endif

/// What the rings of an interface's connections may hold together
/// (`ByteRing`): past it their storage does not grow, so buffers never starve
/// the rest of the heap. The kernel sets `budget` from its heap's size.
public final class NetMemory {
  /// The most bytes of ring storage at once.
  public var budget: Int
  /// Bytes of ring storage held now.
  public internal(set) var used = 0

  public init(budget: Int = Int.max) { self.budget = budget }
}
