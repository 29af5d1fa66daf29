#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A stream socket connected to a Unix-domain path: an OCI console socket, or
/// QEMU's QMP socket in the guest tests.
public enum UnixSocket {
  /// Connects to `path` and returns the descriptor, the caller's to close.
  /// Throws `.system(call: "socket" or "connect", errno:)`; a path too long
  /// for `sockaddr_un` is `connect`'s ENAMETOOLONG.
  public static func connected(to path: String) throws(HermitQEMUError) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(path.utf8)
    guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      close(fd)
      throw .system(call: "connect", errno: ENAMETOOLONG)
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: pathBytes)
      raw[pathBytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else {
      let error = errno
      close(fd)
      throw .system(call: "connect", errno: error)
    }
    return fd
  }
}
