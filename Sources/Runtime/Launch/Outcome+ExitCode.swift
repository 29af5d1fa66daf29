import HermitQEMU

extension Supervisor.Outcome {
  /// The exit code `hermit-runtime` reports for this outcome (docker's conventions).
  ///
  /// The app's code exactly when it exited; 128+N when a signal N stopped it;
  /// 134 for a guest panic (like SIGABRT), 139 for a reset without status (like
  /// SIGSEGV), 124 for a timeout, 125 (runtime error) when QEMU itself failed or
  /// KVM cannot run the guest.
  var exitCode: Int32 {
    switch cause {
    case .signal(let signal): return 128 + signal
    case .timeout: return 124
    case .kvmInternalError: return 125
    case nil: break
    }
    switch guest {
    case .exited(let code): return Int32(code)
    case .panicked: return 134
    case .reset: return 139
    case .crashed, nil:
      if case .signaled(let signal) = termination { return 128 + signal }
      return 125
    }
  }
}
