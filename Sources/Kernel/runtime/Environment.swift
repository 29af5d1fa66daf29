// Program arguments and environment, from the kernel command line
// (`env=K=V ... -- ARGS`, docs/ABI.md).

/// The app's command line, `arguments[0]` being its name.
public enum CommandLine {
  nonisolated(unsafe) public internal(set) static var arguments: [String] = []
}

/// The app's environment variables.
public enum Environment {
  nonisolated(unsafe) public internal(set) static var variables: [String] = []

  /// The value of `name`, or nil.
  public static func get(_ name: String) -> String? {
    for entry in variables {
      var key = ""
      var value = ""
      var seenEquals = false
      for character in entry {
        if !seenEquals && character == "=" {
          seenEquals = true
        } else if seenEquals {
          value.append(character)
        } else {
          key.append(character)
        }
      }
      if seenEquals && key == name { return value }
    }
    return nil
  }
}
