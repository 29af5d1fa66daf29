// Program arguments and environment, from the kernel command line
// (`env=K=V ... -- ARGS`, docs/ABI.md).

/// The kernel command line as the loader found it, parsed on first use so that
/// apps that never look at their arguments do not pay for it at boot.
enum BootCommandLine {
  nonisolated(unsafe) static var text = UnsafeRawBufferPointer(start: nil, count: 0)
  nonisolated(unsafe) static var skipsImageName = false
  nonisolated(unsafe) static var parsed: (options: KernelOptions, arguments: [String])? = nil

  static var value: (options: KernelOptions, arguments: [String]) {
    if let parsed { return parsed }
    let result = KernelCommandLine.parse(
      String(decoding: text, as: UTF8.self), skippingImageName: skipsImageName)
    parsed = result
    return result
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
  /// Each entry `KEY=VALUE`, from `env=` options on the kernel command line.
  public static var variables: [String] { BootCommandLine.value.options.environment }

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
