import FoundationEssentials
import HermitQEMU

#if canImport(Glibc)
  import Glibc
#endif

/// Boots a container's VM in this process and records how it ended. Used by
/// foreground `run` and by the shim behind `run -d` and OCI `create`.
enum VMRunner {
  /// The QEMU executable: `$HERMIT_QEMU`, else `qemu-system-x86_64` from PATH.
  static var qemu: String {
    ProcessInfo.processInfo.environment["HERMIT_QEMU"] ?? "qemu-system-x86_64"
  }

  /// qboot for `-M pc` when QEMU ships it: ~90 ms to the kernel instead of seconds
  /// with SeaBIOS under KVM (PLATFORM.md).
  static var pcFirmware: String? {
    for directory in ["/usr/share/qemu", "/usr/local/share/qemu", "/usr/share/seabios"] {
      let path = directory + "/qboot.rom"
      if FileManager.default.fileExists(atPath: path) { return path }
    }
    return nil
  }

  /// How a container's VM ended.
  struct Ending {
    /// The container's exit code.
    var exitCode: Int32
    /// The one line printed when it was not a plain exit of the app.
    var failure: String?
  }

  /// Runs the VM of `record` to its end; must be called on the main thread (QEMU's
  /// parent-death signal is tied to the forking thread).
  /// - Parameters:
  ///   - saveFirst: a foreground `run`: save `record` (as is) once QEMU is
  ///     started, overlapping QEMU's boot; otherwise note QEMU's pid in the stored
  ///     record (for `ps ID`).
  ///   - prefetched: confinement's share gathered beforehand (`run`).
  ///   - onStart: called with QEMU's pid once it runs (and, without `saveFirst`,
  ///     once the record names it).
  static func run(
    _ record: ContainerRecord, in store: ContainerStore, saveFirst: Bool = false,
    prefetched: QEMUConfinement.Prefetch? = nil, onStart: (@Sendable (pid_t) -> Void)? = nil
  ) throws -> Ending {
    // QEMU's monitor, by which a stop asks a guest with a handler to shut down.
    var withMonitor = record
    withMonitor.vm.monitor = store.file(record.id, "monitor").path
    let confined = try QEMUConfinement.prepare(
      for: withMonitor, in: store, qemu: qemu, pcFirmware: pcFirmware, prefetched: prefetched)
    defer {
      confined.cgroup?.remove()
      withExtendedLifetime(confined.guestFiles) {}
    }
    let command = QEMUCommand(confined.vm, executable: qemu, pcFirmware: pcFirmware)
    var options = Supervisor.Options()
    options.networkNamespace = record.networkNamespace
    options.confinement = confined.confinement
    options.tapDevice = confined.tapDevice
    let guestStop = GuestStop(
      monitor: withMonitor.vm.monitor!, statusFile: record.vm.statusFile)
    try guestStop.makeFIFOs(for: confined.confinement)
    options.guestStop = guestStop
    // A foreground run waits docker's 10 s; a shim waits for `stop -t N` or the
    // engine to kill it.
    options.guestStopGrace = saveFirst ? .seconds(10) : nil
    let bounds = FileBounds.fromEnvironment()
    options.housekeeping = (
      FileBounds.interval,
      { [logPath = record.logPath, status = record.vm.statusFile] in
        bounds.enforce(log: logPath, status: status)
      }
    )
    var noted = withMonitor
    noted.confinement = confined.report
    let record = noted
    let cgroup = confined.cgroup
    if saveFirst {
      options.onStart = { pid in
        do { try store.save(record) } catch { store.remove(record.id) }
        cgroup?.sweepSiblings()
        onStart?(pid)
      }
    } else {
      options.onStart = { [report = confined.report] pid in
        cgroup?.sweepSiblings()
        do {
          try store.update(record.id) {
            $0.qemuPid = pid
            $0.confinement = report
          }
        } catch {
          // The VM runs all the same; only `inspect` misses QEMU's pid.
          StandardError.write(line: "hermit-runtime: warning: \(RuntimeError.wrap(error))")
        }
        onStart?(pid)
      }
    }
    if ProcessInfo.processInfo.environment["HERMIT_DEBUG_QEMU"] != nil {
      StandardError.write(line: command.argv.joined(separator: " "))
    }
    let outcome = try Supervisor.run(command, statusFile: record.vm.statusFile, options: options)
    let failure = outcome.failureMessage
    if let failure {
      StandardError.write(line: "hermit-runtime: \(failure)")
    }
    if outcome.guest == .panicked,
      let backtrace = PanicSymbolizer.report(
        statusFile: record.vm.statusFile, appPath: record.vm.app)
    {
      for line in backtrace {
        StandardError.write(line: line.hasPrefix("  ") ? line : "hermit-runtime: \(line)")
      }
    }
    if record.autoRemove {
      // The cgroup goes in the defer above: no need to read it back from the record.
      store.removeDirectory(record.id)
    } else {
      let peak = confined.cgroup?.readPeakMemory()
      try store.update(record.id) {
        $0.exitCode = outcome.exitCode
        $0.finished = Date()
        $0.failure = failure
        $0.qemuPid = nil
        if let peak { $0.confinement?.cgroup?.peakMemory = peak }
      }
    }
    return Ending(exitCode: outcome.exitCode, failure: failure)
  }
}
