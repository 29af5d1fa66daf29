import HermitOCI

/// `run -e` values the way docker takes them: `K=V` sets K, a bare `K` passes the
/// host's K on (and nothing when the host has no K), and an entry without a name
/// (`-e ''`, `-e =x`) is refused.
enum EnvironmentFlag {
  static func resolve(_ entries: [String], host: [String: String]) throws -> [String] {
    try entries.compactMap { entry in
      let name = entry.prefix { $0 != "=" }
      guard !name.isEmpty else {
        throw RuntimeError.invalidArgument(
          "invalid environment variable \(Sanitized.quoted(entry)): expected NAME=VALUE or NAME")
      }
      if name.count < entry.count { return entry }
      return host[entry].map { "\(entry)=\($0)" }
    }
  }
}
