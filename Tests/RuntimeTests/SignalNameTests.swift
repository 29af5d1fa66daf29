import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct SignalNameTests {
  @Test(arguments: [
    ("TERM", SIGTERM), ("SIGTERM", SIGTERM), ("sigterm", SIGTERM), ("term", SIGTERM),
    ("15", SIGTERM), ("KILL", SIGKILL), ("9", SIGKILL), ("HUP", SIGHUP), ("INT", SIGINT),
    ("USR1", SIGUSR1), ("WINCH", SIGWINCH), ("64", 64), ("1", 1),
  ])
  func namesAndNumbersParse(text: String, signal: Int32) {
    #expect(SignalName.parse(text) == signal)
  }

  @Test(arguments: ["", "0", "65", "-9", "SIG", "TERMINATE", "SIGSIGTERM", "9x", " 9"])
  func anythingElseIsRefused(text: String) {
    #expect(SignalName.parse(text) == nil)
  }
}
