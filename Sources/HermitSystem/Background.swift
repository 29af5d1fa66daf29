#if canImport(Glibc)
  import Glibc
#endif

/// Work started on a thread of its own at once, whose result is waited for later:
/// for what a boot needs that depends on nothing the main thread is still working
/// out. A plain POSIX thread: the work is short and blocking (files, system calls),
/// and neither Dispatch nor Swift Concurrency need to start their thread pools.
public final class Background<Value: Sendable>: @unchecked Sendable {
  private let work: @Sendable () -> Value
  private var result: Value?
  private var thread = pthread_t()
  private var started = false

  /// Starts `work`; if no thread can be started it runs at `value()` instead.
  public init(_ work: @escaping @Sendable () -> Value) {
    self.work = work
    let body = ThreadBody { [self] in self.result = self.work() }
    let context = Unmanaged.passRetained(body).toOpaque()
    started = pthread_create(&thread, nil, ThreadBody.start, context) == 0
    if !started { Unmanaged<ThreadBody>.fromOpaque(context).release() }
  }

  /// The work's result, once it is done (pthread_join orders the thread's writes
  /// before this read).
  public func value() -> Value {
    if started {
      pthread_join(thread, nil)
      started = false
    }
    if result == nil { result = work() }
    return result!
  }
}

/// A thread's closure, passed through pthread_create's context pointer.
private final class ThreadBody {
  let run: () -> Void
  init(_ run: @escaping () -> Void) { self.run = run }

  static let start: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = {
    Unmanaged<ThreadBody>.fromOpaque($0!).takeRetainedValue().run()
    return nil
  }
}
