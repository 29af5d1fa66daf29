#if canImport(Glibc)
  import Glibc
#endif

/// Helpers shared by the test targets.
public enum Loopback {
  /// A TCP listener on an ephemeral loopback port: its descriptor (close it when
  /// done) and the port, which is busy for as long as the descriptor is open.
  public static func listen() throws -> (Int32, Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    _ = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    Glibc.listen(fd, 1)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
  }

  /// A loopback port nothing listens on right now (for a server the test starts,
  /// such as QEMU's hostfwd).
  public static func freePort() throws -> Int {
    let (fd, port) = try listen()
    close(fd)
    return port
  }
}
