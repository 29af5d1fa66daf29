import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// The TCP ports a process listens on, read from procfs (proc(5)): the socket
/// tables of its network namespace (`/proc/PID/net/tcp` and `tcp6`) joined with
/// its descriptors (`/proc/PID/fd/N` → `socket:[INODE]`).
///
/// Nothing connects to the port: a connection to one of QEMU's host forwards is
/// forwarded into the guest, whose app would see (and may count or answer) it.
enum ListeningPorts {
  /// One listening socket of a table.
  struct Entry: Equatable {
    var port: Int
    var inode: UInt64
  }

  /// `st` of a socket in LISTEN: TCP_LISTEN = 10 (include/net/tcp_states.h).
  static let listenState = "0A"

  /// The listening sockets of one `/proc/net/tcp` or `/proc/net/tcp6` table: a
  /// header line, then one line per socket, `sl local_address rem_address st
  /// tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`, with each
  /// address as hex `ADDRESS:PORT`.
  static func parse(table text: String) -> [Entry] {
    text.split(separator: "\n").dropFirst().compactMap { line in
      let fields = line.split(separator: " ")
      guard fields.count > 9, fields[3] == listenState,
        let colon = fields[1].lastIndex(of: ":"),
        let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16),
        let inode = UInt64(fields[9])
      else { return nil }
      return Entry(port: port, inode: inode)
    }
  }

  /// The TCP ports (IPv4 or IPv6) on which `pid` has a listening socket. Where its
  /// descriptors cannot be listed, any listener in its network namespace counts.
  static func tcp(of pid: pid_t) -> Set<Int> {
    let entries = ["tcp", "tcp6"].flatMap { table in
      (try? String(contentsOfFile: "/proc/\(pid)/net/\(table)", encoding: .utf8))
        .map(parse(table:)) ?? []
    }
    guard let sockets = socketInodes(of: pid) else { return Set(entries.map(\.port)) }
    return Set(entries.filter { sockets.contains($0.inode) }.map(\.port))
  }

  /// The inodes of the sockets among `pid`'s descriptors; nil if they cannot be listed.
  static func socketInodes(of pid: pid_t) -> Set<UInt64>? {
    let directory = "/proc/\(pid)/fd"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
      return nil
    }
    var inodes = Set<UInt64>()
    for name in names {
      guard
        let target = try? FileManager.default.destinationOfSymbolicLink(
          atPath: directory + "/" + name),
        target.hasPrefix("socket:["), target.hasSuffix("]"),
        let inode = UInt64(target.dropFirst(8).dropLast())
      else { continue }
      inodes.insert(inode)
    }
    return inodes
  }
}
