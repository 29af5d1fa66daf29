import CHermitSys
import FoundationEssentials
import HermitQEMU

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

  /// unlockpt + ptsname_r (C: Swift's Glibc module does not see them).
  private static func unlock(_ master: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 128)
    guard hermit_unlock_pty(master, &buffer, buffer.count) == 0 else { return nil }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Closes this process's copy of the replica (the shim holds its own).
  func close() {
    Glibc.close(replicaFD)
  }

  /// sendmsg with one SCM_RIGHTS descriptor; the payload is the pty's name, as runc sends.
  private static func send(fd: Int32, name: String, to socketPath: String) throws {
    let sock: Int32
    do {
      sock = try UnixSocket.connected(to: socketPath)
    } catch .system("socket", _) {
      throw RuntimeError.io(path: socketPath, reason: "socket failed")
    } catch .system(_, ENAMETOOLONG) {
      throw RuntimeError.io(path: socketPath, reason: "socket path too long")
    } catch .system(_, let error) {
      throw RuntimeError.io(path: socketPath, reason: String(cString: strerror(error)))
    } catch {
      throw RuntimeError.io(path: socketPath, reason: "\(error)")
    }
    defer { Glibc.close(sock) }
    let payload = Array(name.utf8)
    let sent = payload.withUnsafeBytes { hermit_send_fd(sock, fd, $0.baseAddress, $0.count) }
    guard sent >= 0 else {
      throw RuntimeError.io(
        path: socketPath, reason: "sendmsg: \(String(cString: strerror(errno)))")
    }
  }
}
