import BootFormat
import Foundation
import Testing

@testable import HermitQEMU

/// Boots the fake guest under TCG, each run with a timeout.
@Suite struct SupervisorTests {
  func boot(
    _ directory: TemporaryDirectory, arguments: [String], timeout: Duration = .seconds(20),
    executable: String = "qemu-system-x86_64",
    configure: (inout Supervisor.Options) -> Void = { _ in }
  ) throws -> Supervisor.Outcome {
    let guest = try assembleFakeGuest(into: directory)
    let configuration = VMConfiguration(
      name: "supervisor-test-\(UUID().uuidString.prefix(6))", loader: guest, app: guest,
      commandLine: KernelCommandLine.encode(KernelOptions(), arguments: arguments), memoryMiB: 16,
      statusFile: directory.path("status"))
    var options = Supervisor.Options()
    options.timeout = timeout
    options.handleSignals = false
    options.console = .null
    options.errorOutput = -1
    configure(&options)
    return try Supervisor.run(
      QEMUCommand(configuration, executable: executable), statusFile: configuration.statusFile,
      options: options)
  }

  @Test(arguments: [0, 1, 42, 127, 128, 200, 255])
  func theGuestExitCodeIsDecodedExactly(code: Int) throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let outcome = try boot(directory, arguments: [String(code)])
    #expect(outcome.guest == .exited(UInt8(code)))
    #expect(outcome.failureMessage == nil)
  }

  @Test func aPanicIsAFailureWithItsOwnCode() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let outcome = try boot(directory, arguments: ["panic"])
    #expect(outcome.guest == .panicked)
    #expect(outcome.failureMessage?.contains("panicked") == true)
  }

  @Test func aSpinningGuestIsKilledAtTheTimeout() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let start = ContinuousClock.now
    let outcome = try boot(directory, arguments: ["spin"], timeout: .seconds(1))
    #expect(ContinuousClock.now - start < .seconds(10))
    #expect(outcome.cause == .timeout)
    #expect(outcome.termination == .signaled(9))
  }

  @Test func aKVMInternalErrorKillsAHangingQEMUAtOnce() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    // Mimics QEMU on this host: the error, a register dump, then a hang.
    let fake = try directory.script(
      "fake-qemu",
      "echo 'KVM internal error. Suberror: 1' >&2; echo 'EAX=00000600' >&2; exec sleep 60")
    let start = ContinuousClock.now
    let outcome = try boot(directory, arguments: [], timeout: .seconds(30), executable: fake)
    #expect(ContinuousClock.now - start < .seconds(10))
    #expect(outcome.cause == .kvmInternalError)
    #expect(outcome.failureMessage?.contains("--accel tcg") == true)
  }

  @Test func aQEMUThatFailsReportsItsLastErrorLine() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let fake = try directory.script("fake-qemu", "echo 'qemu: could not load kernel' >&2; exit 1")
    let outcome = try boot(directory, arguments: [], executable: fake)
    #expect(outcome.guest == .crashed(qemuStatus: 1))
    #expect(outcome.failureMessage == "QEMU exited with status 1: qemu: could not load kernel")
  }

  @Test func aMissingQEMUIsAClearError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    #expect(throws: HermitQEMUError.qemuNotFound("no-such-qemu-binary")) {
      try boot(directory, arguments: [], executable: "no-such-qemu-binary")
    }
  }

  @Test func aStaleStatusRecordIsNotReused() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    try GuestStatus.exitRecord(0).write(
      toFile: directory.path("status"), atomically: true, encoding: .utf8)
    let fake = try directory.script("fake-qemu", "exit 1")
    let outcome = try boot(directory, arguments: [], executable: fake)
    // QEMU status 1 alone would decode as exit 0 with the stale record.
    #expect(outcome.guest == .crashed(qemuStatus: 1))
  }

  /// Ctrl-C while QEMU starts: the signal arrives before the pid is known.
  @Test func aStopBeforeThePidIsKnownStopsTheChildOnceItStarts() throws {
    let supervisor = Supervisor(grace: .seconds(5))
    supervisor.stop(.signal(SIGINT), graceful: true)
    let pid = try ChildProcess.spawn(path: "/bin/sleep", argv: ["sleep", "30"])
    let start = ContinuousClock.now
    supervisor.started(pid)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    #expect(ContinuousClock.now - start < .seconds(3))
    #expect(status & 0x7f == SIGTERM)
    #expect(supervisor.stopCause == .signal(SIGINT))
  }

  @Test func aTimeoutBeforeThePidIsKnownKillsWithoutGrace() throws {
    let supervisor = Supervisor(grace: .seconds(60))
    supervisor.stop(.signal(SIGTERM), graceful: true)
    supervisor.stop(.timeout, graceful: false)
    let pid = try ChildProcess.spawn(path: "/bin/sleep", argv: ["sleep", "30"])
    supervisor.started(pid)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    #expect(status & 0x7f == SIGKILL)
    // The first reason is the one reported.
    #expect(supervisor.stopCause == .signal(SIGTERM))
  }

  @Test func stderrWarningsPassAndQEMUErrorsAreHeldBackButTheQuotedOne() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let fake = try directory.script(
      "fake-qemu",
      """
      echo 'qemu-system-x86_64: warning: host lacks a feature' >&2
      echo 'qemu-system-x86_64: -foo: invalid option' >&2
      printf 'qemu-system-x86_64: the last error' >&2
      exit 1
      """)
    var forwarded: [Int32] = [0, 0]
    #expect(pipe(&forwarded) == 0)
    defer { close(forwarded[0]) }
    let outcome = try boot(directory, arguments: [], executable: fake) {
      $0.errorOutput = forwarded[1]
    }
    close(forwarded[1])
    let text = String(
      decoding: FileHandle(fileDescriptor: forwarded[0]).readDataToEndOfFile(), as: UTF8.self)
    // A line without its newline at EOF counts as the last line.
    #expect(
      outcome.failureMessage == "QEMU exited with status 1: qemu-system-x86_64: the last error")
    #expect(
      text
        == "qemu-system-x86_64: warning: host lacks a feature\nqemu-system-x86_64: -foo: invalid option\n"
    )
  }

  /// A QEMU that left a process holding its stderr: the outcome comes at QEMU's
  /// exit, not at that process's.
  @Test func aDescendantHoldingStderrDoesNotDelayTheOutcome() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let fake = try directory.script("fake-qemu", "echo 'going' >&2; sleep 8 & exit 3")
    let start = ContinuousClock.now
    let outcome = try boot(directory, arguments: [], executable: fake)
    #expect(ContinuousClock.now - start < .seconds(5))
    #expect(outcome.guest == .crashed(qemuStatus: 3))
    #expect(outcome.stderrTail == ["going"])
  }
}

/// Signals to the test process itself: one test at a time installs the relay.
@Suite(.serialized) struct SupervisorSignalTests {
  /// Boots `body` as QEMU with the signal relay on; `onStart` runs once it runs.
  func run(
    _ directory: TemporaryDirectory, _ body: String, grace: Duration = .seconds(2),
    onStart: @escaping @Sendable (pid_t) -> Void
  ) throws -> Supervisor.Outcome {
    let fake = try directory.script("fake-qemu", body)
    return try SupervisorTests().boot(
      directory, arguments: [], timeout: .seconds(30), executable: fake
    ) {
      $0.handleSignals = true
      $0.stopGrace = grace
      $0.onStart = onStart
    }
  }

  /// Waits (up to 10 s) until the fake QEMU has created `path`: until then, the
  /// forked child still has the runtime's handlers, not QEMU's.
  static func wait(for path: String) {
    for _ in 0..<1000 where access(path, F_OK) != 0 { usleep(10_000) }
  }

  @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
  func aSignalToTheRuntimeStopsTheVMAndIsReported(signal: Int32) throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let ready = directory.path("ready")
    let start = ContinuousClock.now
    let outcome = try run(directory, "touch '\(ready)'; exec sleep 30") { _ in
      Self.wait(for: ready)
      raise(signal)
    }
    #expect(ContinuousClock.now - start < .seconds(10))
    #expect(outcome.cause == .signal(signal))
    #expect(outcome.termination == .signaled(SIGTERM))
    #expect(outcome.failureMessage == nil)
  }

  @Test func aVMThatIgnoresTheStopIsKilledAfterTheGrace() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    let ready = directory.path("ready")
    let start = ContinuousClock.now
    let outcome = try run(
      directory, "trap '' TERM; touch '\(ready)'; exec sleep 30", grace: .milliseconds(300)
    ) { _ in
      // SIGTERM must find the trap in place.
      Self.wait(for: ready)
      raise(SIGINT)
    }
    #expect(ContinuousClock.now - start < .seconds(10))
    #expect(outcome.cause == .signal(SIGINT))
    #expect(outcome.termination == .signaled(SIGKILL))
  }

  @Test func theRelayIsRemovedAfterTheRun() throws {
    let directory = try TemporaryDirectory()
    defer { directory.delete() }
    var before = sigaction()
    sigaction(SIGHUP, nil, &before)
    _ = try run(directory, "exit 0") { _ in }
    var after = sigaction()
    sigaction(SIGHUP, nil, &after)
    #expect(
      unsafeBitCast(after.__sigaction_handler.sa_handler, to: Int.self)
        == unsafeBitCast(before.__sigaction_handler.sa_handler, to: Int.self))
  }
}
