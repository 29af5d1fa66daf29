import Foundation

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
  public static func imageStore(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> URL {
    resolve(environment, home: nil, xdg: "XDG_DATA_HOME", xdgPath: "hermit") {
      FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/hermit")
    }
  }

  public static func cache(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> URL {
    resolve(environment, home: "cache", xdg: "XDG_CACHE_HOME", xdgPath: "hermit") {
      FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/hermit")
    }
  }

  public static func containers(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> URL {
    resolve(environment, home: "containers", xdg: "XDG_RUNTIME_DIR", xdgPath: "hermit/containers") {
      getuid() == 0
        ? URL(fileURLWithPath: "/run/hermit/containers")
        : URL(fileURLWithPath: "/tmp/hermit-\(getuid())/containers")
    }
  }

  /// `$HERMIT_HOME[/home]`, else `$xdg/xdgPath`, else `fallback()`; empty variables
  /// count as unset.
  static func resolve(
    _ environment: [String: String], home: String?, xdg: String, xdgPath: String,
    fallback: () -> URL
  ) -> URL {
    if let root = environment["HERMIT_HOME"], !root.isEmpty {
      let url = URL(fileURLWithPath: root)
      return home.map { url.appendingPathComponent($0) } ?? url
    }
    if let base = environment[xdg], !base.isEmpty {
      return URL(fileURLWithPath: base).appendingPathComponent(xdgPath)
    }
    return fallback()
  }
}
