import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// Where the tools keep their files: under `$HERMIT_HOME` when it is set (tests,
/// benchmarks), else in the XDG base directories.
///
/// - image store: `$HERMIT_HOME`, else `$XDG_DATA_HOME/hermit`, else `~/.local/share/hermit`
/// - unpack cache: `$HERMIT_HOME/cache`, else `$XDG_CACHE_HOME/hermit`, else `~/.cache/hermit`
/// - containers: `$HERMIT_HOME/containers`, else `$XDG_RUNTIME_DIR/hermit/containers`,
///   else `/run/hermit/containers` for root, else `/tmp/hermit-<uid>/containers`
public enum HermitDirectories {
  /// A variable of this process's environment. `getenv`, not ProcessInfo's
  /// environment, which builds a dictionary of all of it at every call (on every
  /// start of the runtime).
  public static func processVariable(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
  }

  /// `~`: `$HOME` as the XDG base directory specification and the shell read it,
  /// else the password database (through NSS, which may load modules and ask
  /// systemd: milliseconds on every start).
  static func home(_ variable: (String) -> String?) -> URL {
    if let home = variable("HOME"), home.hasPrefix("/") { return URL(fileURLWithPath: home) }
    // Not FileManager's home directory: it asks NSS, which crashes a static
    // binary whose uid has no passwd entry (any uid can run the tools).
    let uid = getuid()
    return URL(fileURLWithPath: passwdHome(uid: uid) ?? "/tmp/hermit-\(uid)")
  }

  /// The home directory of `uid` in /etc/passwd (passwd(5)), read by number.
  static func passwdHome(uid: uid_t, passwd: String = "/etc/passwd") -> String? {
    guard let text = try? String(contentsOfFile: passwd, encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: ":", omittingEmptySubsequences: false)
      if fields.count >= 6, UInt32(fields[2]) == uid, fields[5].hasPrefix("/") {
        return String(fields[5])
      }
    }
    return nil
  }

  public static func imageStore(_ variable: (String) -> String? = processVariable) -> URL {
    resolve(variable, home: nil, xdg: "XDG_DATA_HOME", xdgPath: "hermit") {
      home(variable).appendingPathComponent(".local/share/hermit")
    }
  }

  public static func cache(_ variable: (String) -> String? = processVariable) -> URL {
    resolve(variable, home: "cache", xdg: "XDG_CACHE_HOME", xdgPath: "hermit") {
      home(variable).appendingPathComponent(".cache/hermit")
    }
  }

  public static func containers(_ variable: (String) -> String? = processVariable) -> URL {
    resolve(variable, home: "containers", xdg: "XDG_RUNTIME_DIR", xdgPath: "hermit/containers") {
      getuid() == 0
        ? URL(fileURLWithPath: "/run/hermit/containers")
        : URL(fileURLWithPath: "/tmp/hermit-\(getuid())/containers")
    }
  }

  /// The same, from a given environment (tests).
  public static func imageStore(_ environment: [String: String]) -> URL {
    imageStore { environment[$0] }
  }
  public static func cache(_ environment: [String: String]) -> URL { cache { environment[$0] } }
  public static func containers(_ environment: [String: String]) -> URL {
    containers { environment[$0] }
  }

  /// `$HERMIT_HOME[/home]`, else `$xdg/xdgPath`, else `fallback()`; empty variables
  /// count as unset.
  static func resolve(
    _ variable: (String) -> String?, home: String?, xdg: String, xdgPath: String,
    fallback: () -> URL
  ) -> URL {
    if let root = variable("HERMIT_HOME"), !root.isEmpty {
      let url = URL(fileURLWithPath: root)
      return home.map { url.appendingPathComponent($0) } ?? url
    }
    if let base = variable(xdg), !base.isEmpty {
      return URL(fileURLWithPath: base).appendingPathComponent(xdgPath)
    }
    return fallback()
  }
}
