import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A pseudo-terminal for `process.terminal` containers: the replica becomes the
/// shim's (and so QEMU's console) stdio, the master goes to the caller over the
/// `--console-socket` with SCM_RIGHTS, as runc does (podman `-t`).
struct Console {
  /// This process's copy of the replica; `close` it once the shim has its own.
  let replicaFD: Int32

  /// Opens a pty and sends its master to the unix socket at `socketPath`.
  ///
  /// Each descriptor is closed exactly once, here or by `close`: a second close
  /// could hit an unrelated descriptor opened in between by another thread.
  static func open(sendingMasterTo socketPath: String) throws -> Console {
    let master = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard master >= 0 else {
      throw RuntimeError.io(path: "/dev/ptmx", reason: String(cString: strerror(errno)))
    }
    // The receiver of the socket keeps the master; this process never needs it.
    defer { Glibc.close(master) }
    guard let replicaPath = unlock(master) else {
      throw RuntimeError.io(path: "/dev/ptmx", reason: "cannot unlock pty")
    }
    let replica = Glibc.open(replicaPath, O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard replica >= 0 else {
      throw RuntimeError.io(path: replicaPath, reason: String(cString: strerror(errno)))
    }
    do {
      try send(fd: master, name: replicaPath, to: socketPath)
    } catch {
      Glibc.close(replica)
      throw error
    }
    return Console(replicaFD: replica)
  }

  /// unlockpt + ptsname_r, looked up at run time: Swift's Glibc module does not
  /// see them (they need _XOPEN_SOURCE).
  private static func unlock(_ master: Int32) -> String? {
    typealias Unlock = @convention(c) (Int32) -> Int32
    typealias Name = @convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32
    guard let unlockSymbol = dlsym(nil, "unlockpt"), let nameSymbol = dlsym(nil, "ptsname_r") else {
      return nil
    }
    guard unsafeBitCast(unlockSymbol, to: Unlock.self)(master) == 0 else { return nil }
    var buffer = [CChar](repeating: 0, count: 128)
    guard unsafeBitCast(nameSymbol, to: Name.self)(master, &buffer, buffer.count) == 0 else {
      return nil
    }
    return String(cString: buffer)
  }

  /// Closes this process's copy of the replica (the shim holds its own).
  func close() {
    Glibc.close(replicaFD)
  }

  /// sendmsg with one SCM_RIGHTS descriptor; the payload is the pty's name, as runc sends.
  private static func send(fd: Int32, name: String, to socketPath: String) throws {
    let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard sock >= 0 else { throw RuntimeError.io(path: socketPath, reason: "socket failed") }
    defer { Glibc.close(sock) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(socketPath.utf8)
    guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      throw RuntimeError.io(path: socketPath, reason: "socket path too long")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: pathBytes)
      raw[pathBytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else {
      throw RuntimeError.io(path: socketPath, reason: String(cString: strerror(errno)))
    }
    // struct cmsghdr { size_t len; int level; int type; } + int, padded to 8.
    let headerSize = MemoryLayout<Int>.size + 2 * MemoryLayout<Int32>.size
    let controlLength = headerSize + MemoryLayout<Int32>.size
    let controlSpace = (controlLength + 7) & ~7
    var control = [UInt8](repeating: 0, count: controlSpace)
    control.withUnsafeMutableBytes { raw in
      raw.storeBytes(of: controlLength, toByteOffset: 0, as: Int.self)
      raw.storeBytes(of: SOL_SOCKET, toByteOffset: MemoryLayout<Int>.size, as: Int32.self)
      raw.storeBytes(
        of: Int32(SCM_RIGHTS), toByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
      raw.storeBytes(of: fd, toByteOffset: headerSize, as: Int32.self)
    }
    var payload = Array(name.utf8)
    let sent = payload.withUnsafeMutableBytes { payloadRaw in
      control.withUnsafeMutableBytes { controlRaw in
        var vector = iovec(iov_base: payloadRaw.baseAddress, iov_len: payloadRaw.count)
        return withUnsafeMutablePointer(to: &vector) { vectorPointer in
          var message = msghdr()
          message.msg_iov = vectorPointer
          message.msg_iovlen = 1
          message.msg_control = controlRaw.baseAddress
          message.msg_controllen = controlRaw.count
          return sendmsg(sock, &message, 0)
        }
      }
    }
    guard sent >= 0 else {
      throw RuntimeError.io(
        path: socketPath, reason: "sendmsg: \(String(cString: strerror(errno)))")
    }
  }
}
