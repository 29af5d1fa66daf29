import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// OCI `start ID`: lets the created container's shim boot the VM.
struct Start: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "start", abstract: "OCI: start a created container.")

  @OptionGroup var global: GlobalOptions

  @Argument var id: String

  func run() throws {
    try RuncDelegate.forward(id, global)
    let store = try ContainerStore.forOCI(global)
    let record = try store.load(id)
    guard record.status == .created else {
      throw RuntimeError.invalidState(id: id, status: record.status.rawValue, wanted: "created")
    }
    if let hooks = record.hooks {
      do {
        try hooks.run(.startContainer, state: State.state(of: record))
      } catch {
        // runtime.md: a failed startContainer hook stops the container.
        try? Stop.stop(record, in: store, grace: .zero, signal: SIGKILL)
        throw error
      }
    }
    let fifo = store.file(id, "exec.fifo").path
    // Non-blocking open fails at once if the shim is gone (no writer), instead of
    // blocking forever.
    let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      throw RuntimeError.io(path: fifo, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    // The shim opens the fifo for writing and writes one byte once we have it open.
    var byte: UInt8 = 0
    let deadline = ContinuousClock.now + .seconds(10)
    while read(fd, &byte, 1) != 1 {
      guard ContinuousClock.now < deadline, record.status == .created else {
        throw RuntimeError.invalidState(
          id: id, status: (try? store.load(id))?.status.rawValue ?? "gone", wanted: "created")
      }
      usleep(1_000)
    }
    unlink(fifo)
    // `state` right after `start` must say running, even before the shim has
    // recorded it.
    try store.update(id) { if $0.started == nil { $0.started = Date() } }
    record.hooks?.runWarning(.poststart, state: State.state(of: (try? store.load(id)) ?? record))
  }
}
