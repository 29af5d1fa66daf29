// Program arguments and environment, from the kernel command line
// (`env=K=V ... -- ARGS`, docs/ABI.md) and the fw_cfg file `opt/org.hermit/env`.
import Synchronization

/// The kernel command line as the loader found it, parsed on first use so that
/// apps that never look at their arguments do not pay for it at boot. Threads
/// on several cores may ask at once: one parses, the others wait for it, and
/// the result never changes after that.
enum BootCommandLine {
  nonisolated(unsafe) static var text = UnsafeRawBufferPointer(start: nil, count: 0)
  nonisolated(unsafe) static var skipsImageName = false
  /// Written once, by the thread that moved `state` from `unparsed` to `parsing`.
  nonisolated(unsafe) static var parsed: (options: KernelOptions, arguments: [String])? = nil
  static let unparsed = 0, parsing = 1, ready = 2
  static let state = Atomic<Int>(0)

  static var value: (options: KernelOptions, arguments: [String]) {
    if state.load(ordering: .acquiring) != ready { parseOnce() }
    return parsed!
  }

  /// The kernel's options alone, without a copy of the arguments.
  static var options: KernelOptions {
    if state.load(ordering: .acquiring) != ready { parseOnce() }
    return parsed!.options
  }

  private static func parseOnce() {
    if state.compareExchange(expected: unparsed, desired: parsing, ordering: .acquiring).exchanged {
      var value = KernelCommandLine.parse(
        String(decoding: text, as: UTF8.self), skippingImageName: skipsImageName)
      // The runtime's channel for the environment (docs/ABI.md): `env=` tokens
      // in a fw_cfg file, which no host command line shows.
      if let file = Arch.firmwareFile(named: "opt/org.hermit/env") {
        value.options.environment +=
          KernelCommandLine.parse(
            String(decoding: file, as: UTF8.self)
          ).options.environment
      }
      parsed = value
      state.store(ready, ordering: .releasing)
      return
    }
    // Another thread parses; if it was preempted on this core, let it run.
    while state.load(ordering: .acquiring) != ready {
      if Scheduler.started { Scheduler.yield() } else { Arch.spinHint() }
    }
  }
}

/// The app's command line, `arguments[0]` being its name.
public enum CommandLine {
  public static var arguments: [String] {
    let value = BootCommandLine.value
    return [value.options.name ?? "app"] + value.arguments
  }
}

/// The app's environment variables.
public enum Environment {
  /// Each entry `KEY=VALUE`: `env=` options on the kernel command line, then
  /// those of the runtime's fw_cfg file.
  public static var variables: [String] { BootCommandLine.options.environment }

  /// The value of `name`, or nil. Compares bytes (no Unicode tables needed).
  public static func get(_ name: String) -> String? {
    for entry in variables {
      let bytes = Array(entry.utf8)
      guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")),
        bytes[..<equals].elementsEqual(name.utf8)
      else { continue }
      return String(decoding: bytes[(equals + 1)...], as: UTF8.self)
    }
    return nil
  }
}
