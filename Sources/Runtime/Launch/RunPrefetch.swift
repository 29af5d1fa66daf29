import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// `run`'s head start on confinement. `HermitRuntime.parseFast` starts it as soon
/// as it sees `run`, before ArgumentParser parses the flags (about 2 ms): on a
/// thread of its own it gathers what confining QEMU needs of the host
/// (`QEMUConfinement.Prefetch`), warms the image cache's decoder, and makes the
/// container's cgroup, named for this process (`run-<pid>`), as the container's
/// name is not known yet. It is speculative: a run that turns out `--privileged`, detached or not root, or
/// fails before its VM starts, leaves it unused, and `discard` removes its cgroup.
enum RunPrefetch {
  nonisolated(unsafe) private static var pending: Background<QEMUConfinement.Prefetch>?

  /// Starts the prefetch for `run ARGUMENTS`, unless they ask for no
  /// confinement (`--privileged`), a detached run (the shim confines QEMU) or the
  /// runtime is not root. A flag's word taken for an app argument only wastes it.
  static func start(arguments: [String]) {
    guard pending == nil, geteuid() == 0,
      !arguments.contains(where: { ["--privileged", "-d", "--detach"].contains($0) })
    else { return }
    let qemu = VMRunner.qemu
    let name = "run-\(getpid())"
    pending = Background {
      PreparedImage.warmDecoder()
      return QEMUConfinement.Prefetch.gather(qemu: qemu, cgroupName: name)
    }
  }

  /// The prefetch for this run: the one `start` began, or a new one (without a
  /// cgroup of its own) when the run was parsed the slow way.
  static func take(qemu: String) -> Background<QEMUConfinement.Prefetch> {
    if let pending { return pending }
    let started = Background { QEMUConfinement.Prefetch.gather(qemu: qemu, cgroupName: nil) }
    pending = started
    return started
  }

  /// At exit: removes the prefetch's cgroup if the run never put QEMU there (a
  /// used one is gone already, and one that holds a process cannot be removed).
  static func discard() {
    guard let pending else { return }
    Self.pending = nil
    for directory in pending.value().cgroupDirectories ?? [] { rmdir(directory) }
  }
}
