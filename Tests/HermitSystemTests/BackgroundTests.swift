import HermitSystem
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct BackgroundTests {
  /// The work runs on a thread of its own, at once, and its result is kept.
  @Test func theWorkRunsElsewhereAndItsResultIsKept() {
    let caller = pthread_self()
    let work = Background { () -> pthread_t in
      usleep(20_000)
      return pthread_self()
    }
    let worker = work.value()
    #expect(worker != caller)
    #expect(work.value() == worker)
  }
}
