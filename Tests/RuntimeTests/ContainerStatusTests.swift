import Foundation
import HermitQEMU
import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// A record's live status: what it noted, checked against the owning process.
@Suite struct ContainerStatusTests {
  func record(_ kind: ContainerRecord.Kind) -> ContainerRecord {
    ContainerRecord(
      id: "c", kind: kind, image: "hello.tar", bundle: "/", created: Date(),
      vm: VMConfiguration(
        name: "c", loader: "loader", app: "app", commandLine: "", statusFile: "status"),
      autoRemove: false, annotations: [:])
  }

  @Test func aRecordWithoutAProcessIsBeingCreated() {
    #expect(record(.oci).status == .creating)
  }

  @Test(arguments: [ContainerRecord.Kind.run, .oci])
  func aRecordedExitIsStoppedEvenWithALiveProcess(kind: ContainerRecord.Kind) {
    var record = record(kind)
    record.pid = getpid()
    record.pidStartTime = ProcessIdentity.startTime(getpid())
    record.exitCode = 0
    #expect(record.status == .stopped)
  }

  @Test func aLiveOwnerIsRunningForRunAndCreatedForAnOCIContainerNotYetStarted() {
    var record = record(.run)
    record.pid = getpid()
    record.pidStartTime = ProcessIdentity.startTime(getpid())
    #expect(record.status == .running)
    record.kind = .oci
    #expect(record.status == .created)
    record.started = Date()
    #expect(record.status == .running)
  }

  /// Killed with SIGKILL, the owner left no record: the status says stopped.
  @Test func aVanishedOwnerIsStopped() throws {
    let pid = try ChildProcess.spawn(path: "/bin/true", argv: ["true"])
    let startTime = ProcessIdentity.startTime(pid)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    var record = record(.run)
    record.pid = pid
    record.pidStartTime = startTime
    #expect(record.status == .stopped)
  }

  /// A recycled pid (another process, another start time) is not the owner.
  @Test func aPidWithAnotherStartTimeIsNotTheOwner() {
    var record = record(.run)
    record.pid = getpid()
    record.pidStartTime = (ProcessIdentity.startTime(getpid()) ?? 0) + 1
    #expect(record.status == .stopped)
  }
}
