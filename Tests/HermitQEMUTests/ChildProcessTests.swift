import Testing

@testable import HermitQEMU

@Suite struct ChildProcessTests {
  /// 1 MiB on stderr before anything on stdout: reading stdout to its end first
  /// would wait forever for a child blocked on a full stderr pipe.
  @Test(.timeLimit(.minutes(1)))
  func captureDrainsStdoutAndStderrTogether() throws {
    let captured = try ChildProcess.capture(
      path: "/bin/sh",
      argv: ["sh", "-c", "head -c 1048576 /dev/zero >&2; echo out; echo last error >&2; exit 3"])
    #expect(captured.status == 3)
    #expect(captured.stdout == Array("out\n".utf8))
    #expect(captured.stderr.count == 1_048_576 + "last error\n".utf8.count)
  }

  @Test func captureReportsASignalAs128PlusItsNumber() throws {
    let captured = try ChildProcess.capture(path: "/bin/sh", argv: ["sh", "-c", "kill -9 $$"])
    #expect(captured.status == 137)
  }
}
