import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 21 item 9: `stop` (and an engine's SIGTERM) asks a guest whose app has a
/// shutdown handler to shut down through QEMU's monitor, and kills it only after
/// the timeout; an app without a handler is stopped at once, as before.
@Suite(.enabled(if: Harness.images != nil && Harness.isRoot, "needs build/ guests and root"))
struct GracefulStopTests {
  /// A stand-in QEMU whose "guest" registers a handler, then exits 3 when the
  /// monitor tells it `system_powerdown`.
  static let fakeQEMU = """
    #!/usr/bin/python3
    import os, sys
    status = monitor = None
    for a in sys.argv[1:]:
        if a.startswith("file,id=hstatus,path="):
            status = a[len("file,id=hstatus,path="):].removesuffix(",append=on")
        if a.startswith("pipe,id=monitor,path="):
            monitor = a[len("pipe,id=monitor,path="):]
    with open(status, "a") as f:
        f.write("HERMIT-STATUS stop-handler\\n")
    print("handler registered", flush=True)
    fd = os.open(monitor + ".in", os.O_RDWR)
    print("monitor got", os.read(fd, 100).decode().strip(), flush=True)
    with open(status, "a") as f:
        f.write("HERMIT-STATUS exit=3\\n")
    sys.exit((3 << 1) | 1)

    """

  func ps(_ scratch: Scratch) -> String { (try? scratch.runtime(["ps", "-a"]).stdout) ?? "" }

  @Test func aGuestWithAHandlerIsAskedAndExitsWithItsOwnCode() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let fake = scratch.path("qemu-system-x86_64")
    try Self.fakeQEMU.write(toFile: fake, atomically: true, encoding: .utf8)
    chmod(fake, 0o755)
    let name = scratch.name("graceful")
    let environment = scratch.environment.merging(["HERMIT_QEMU": fake]) { $1 }
    // A script just written may not be executable for a moment while another
    // test forks (ETXTBSY, "Text file busy"): try again then.
    var started = Harness.Result(status: -1, stdout: "", stderr: "")
    for _ in 0..<10 {
      started = try Harness.run(
        Harness.runtime,
        ["run", "-d", "--privileged", "--name", name, "--accel", "tcg", Harness.images!.hello],
        environment: environment)
      guard started.status != 0, started.stderr.contains("busy") else { break }
      _ = try? scratch.runtime(["rm", "-f", name])
      usleep(200_000)
    }
    #expect(started.status == 0, "\(started.stderr)")
    #expect(
      Harness.waitUntil {
        (try? scratch.runtime(["logs", name]).stdout)?.contains("handler registered") == true
      })
    let clock = ContinuousClock()
    let begin = clock.now
    let stopped = try Harness.run(
      Harness.runtime, ["stop", "-t", "20", name], environment: environment)
    #expect(stopped.status == 0, "\(stopped.stderr)")
    #expect(clock.now - begin < .seconds(10), "the guest finished by itself")
    #expect(ps(scratch).contains("Exited (3)"), "\(ps(scratch))")
    #expect(try scratch.runtime(["logs", name]).stdout.contains("monitor got system_powerdown"))
  }

  /// Real QEMU, confined: a guest that says it has a handler (the record is put
  /// in its status file here) but never exits is killed after `-t`; the spin
  /// guest, which says nothing, is stopped at once as before.
  @Test func aGuestThatDoesNotFinishIsKilledAfterTheTimeoutAndOneWithoutAHandlerAtOnce() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let clock = ContinuousClock()
    for handler in [false, true] {
      let name = scratch.name(handler ? "slow" : "plain")
      let started = try scratch.runtime(["run", "-d", "--name", name, Harness.images!.spin])
      #expect(started.status == 0, "\(started.stderr)")
      #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(name)").isEmpty })
      // The guest's banner: QEMU has opened its chardevs (the monitor among
      // them) and runs the guest, so a stop can ask it.
      #expect(
        Harness.waitUntil {
          (try? scratch.runtime(["logs", name]).stdout)?.contains("is running") == true
        })
      let status = scratch.path("containers/\(name)/status")
      if handler {
        let fd = open(status, O_WRONLY | O_APPEND)
        _ = "HERMIT-STATUS stop-handler\n".withCString { write(fd, $0, strlen($0)) }
        close(fd)
      }
      let begin = clock.now
      let stopped = try scratch.runtime(["stop", "-t", "2", name])
      let took = clock.now - begin
      #expect(stopped.status == 0, "\(stopped.stderr)")
      if handler {
        #expect(took >= .seconds(2), "asked, then waited: \(took)")
        #expect(
          ps(scratch).contains("\(name)") && ps(scratch).contains("Exited (137)"), "\(ps(scratch))")
      } else {
        #expect(took < .seconds(2), "stopped at once: \(took)")
      }
      #expect(Harness.waitUntil { Harness.pgrep("hermit-\(name)").isEmpty })
    }
    #expect(ps(scratch).contains("Exited (143)"), "\(ps(scratch))")
  }
}
