#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One `-p [IP:]HOST:GUEST[/tcp|/udp]` mapping: a host port forwarded to a guest
/// port through QEMU user networking (`hostfwd`).
public struct PortMapping: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
  /// Transport protocol of a mapping.
  public enum Proto: String, Codable, Sendable { case tcp, udp }

  /// Host address to listen on; empty means all IPv4 addresses (docker's default).
  public var hostAddress: String
  public var hostPort: Int
  public var guestPort: Int
  public var proto: Proto

  public init(hostAddress: String = "", hostPort: Int, guestPort: Int, proto: Proto = .tcp) {
    self.hostAddress = hostAddress
    self.hostPort = hostPort
    self.guestPort = guestPort
    self.proto = proto
  }

  /// Parses docker's `-p` syntax: `HOST:GUEST`, `IP:HOST:GUEST`, each optionally
  /// followed by `/tcp` or `/udp`. A bare `GUEST` (random host port) is refused:
  /// QEMU's hostfwd needs a concrete port.
  public init(parsing spec: String) throws(HermitQEMUError) {
    var body = Substring(spec)
    var proto = Proto.tcp
    if let slash = body.lastIndex(of: "/") {
      guard let parsed = Proto(rawValue: body[body.index(after: slash)...].lowercased()) else {
        throw .invalidPortMapping(spec, reason: "protocol must be tcp or udp")
      }
      proto = parsed
      body = body[..<slash]
    }
    let parts = body.split(separator: ":", omittingEmptySubsequences: false)
    let address: Substring
    let host: Substring
    let guest: Substring
    switch parts.count {
    case 2: (address, host, guest) = ("", parts[0], parts[1])
    case 3: (address, host, guest) = (parts[0], parts[1], parts[2])
    default: throw .invalidPortMapping(spec, reason: "need HOST:GUEST")
    }
    guard let hostPort = Int(host), (1...65535).contains(hostPort) else {
      throw .invalidPortMapping(spec, reason: "host port must be 1-65535")
    }
    guard let guestPort = Int(guest), (1...65535).contains(guestPort) else {
      throw .invalidPortMapping(spec, reason: "guest port must be 1-65535")
    }
    if !address.isEmpty {
      var probe = in_addr()
      guard inet_pton(AF_INET, String(address), &probe) == 1 else {
        throw .invalidPortMapping(spec, reason: "'\(address)' is not an IPv4 address")
      }
    }
    self.init(hostAddress: String(address), hostPort: hostPort, guestPort: guestPort, proto: proto)
  }

  /// The QEMU `-netdev user` option for this mapping.
  public var hostfwd: String {
    "hostfwd=\(proto.rawValue):\(hostAddress):\(hostPort)-:\(guestPort)"
  }

  /// docker-style rendering, e.g. `127.0.0.1:8080->80/tcp`.
  public var description: String {
    "\(hostAddress.isEmpty ? "0.0.0.0" : hostAddress):\(hostPort)->\(guestPort)/\(proto.rawValue)"
  }

  /// Checks that the host side can be bound, the way QEMU will bind it
  /// (`SO_REUSEADDR`, so a port merely in TIME_WAIT is not reported busy).
  /// Done before booting so that a busy port is a clear error, not a QEMU failure.
  public func checkAvailable() throws(HermitQEMUError) {
    let kind = proto == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
    let fd = socket(AF_INET, kind, 0)
    guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
    defer { close(fd) }
    var one: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(hostPort).bigEndian)
    if hostAddress.isEmpty {
      addr.sin_addr.s_addr = INADDR_ANY
    } else {
      _ = inet_pton(AF_INET, hostAddress, &addr.sin_addr)
    }
    let rc = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if rc != 0 {
      let err = errno
      if err == EADDRINUSE {
        throw .portInUse(address: hostAddress, port: hostPort, proto: proto.rawValue)
      }
      throw .system(
        call: "bind(\(hostAddress.isEmpty ? "0.0.0.0" : hostAddress):\(hostPort))", errno: err)
    }
    // A TCP bind alone does not clash with a listener on Linux unless we listen too.
    if proto == .tcp, listen(fd, 1) != 0 {
      throw .portInUse(address: hostAddress, port: hostPort, proto: proto.rawValue)
    }
  }
}
