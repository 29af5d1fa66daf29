#if canImport(Glibc)
  import Glibc
#endif

/// Signals by name or number, as `kill` (docker's and the OCI runtime's) takes them.
enum SignalName {
  static let names: [String: Int32] = [
    "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT,
    "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV,
    "USR2": SIGUSR2, "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "CHLD": SIGCHLD,
    "CONT": SIGCONT, "STOP": SIGSTOP, "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU,
    "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM, "PROF": SIGPROF,
    "WINCH": SIGWINCH, "IO": SIGIO, "PWR": SIGPWR, "SYS": SIGSYS,
  ]

  /// `TERM`, `SIGTERM`, `sigterm` or `15`.
  static func parse(_ text: String) -> Int32? {
    if let number = Int32(text), (1...64).contains(number) { return number }
    var name = text.uppercased()
    if name.hasPrefix("SIG") { name.removeFirst(3) }
    return names[name]
  }
}
