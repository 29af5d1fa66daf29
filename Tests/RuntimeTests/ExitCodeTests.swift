import BootFormat
import HermitQEMU
import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// Docker's exit-code conventions for each way a VM can end.
@Suite struct ExitCodeTests {
  static let cases: [(Supervisor.Termination, Supervisor.StopCause?, GuestStatus?, Int32)] = [
    (.exited(1), nil, .exited(0), 0),
    (.exited(85), nil, .exited(42), 42),
    (.exited(1), nil, .exited(255), 255),
    (.exited(1), nil, .panicked, 134),
    (.exited(0), nil, .reset, 139),
    (.exited(1), nil, .crashed(qemuStatus: 1), 125),
    (.signaled(SIGSEGV), nil, nil, 128 + SIGSEGV),
    (.signaled(SIGTERM), .signal(SIGINT), nil, 128 + SIGINT),
    (.signaled(SIGKILL), .signal(SIGHUP), nil, 128 + SIGHUP),
    (.signaled(SIGKILL), .timeout, nil, 124),
    (.signaled(SIGKILL), .kvmInternalError, nil, 125),
    // A stop wins over a guest that exited meanwhile.
    (.exited(1), .signal(SIGTERM), .exited(0), 128 + SIGTERM),
  ]

  @Test(arguments: cases)
  func eachEndHasItsExitCode(
    termination: Supervisor.Termination, cause: Supervisor.StopCause?, guest: GuestStatus?,
    expected: Int32
  ) {
    let outcome = Supervisor.Outcome(
      pid: 1, termination: termination, cause: cause, guest: guest, stderrTail: [])
    #expect(outcome.exitCode == expected)
  }
}
