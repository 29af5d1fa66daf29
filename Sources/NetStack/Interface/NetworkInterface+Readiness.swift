// Which sockets a call or a received packet may have made readable, writable
// or acceptable: the stack notes their handle ids as it works on them, and the
// kernel wakes only the waiters of those sockets (Kernel/net/Readiness.swift)
// instead of every blocked socket on every packet.

/// What a socket is ready for now.
public struct SocketReadiness: Equatable, Sendable {
  /// A read (or accept) would not block: data, end of stream, an error or a
  /// connection waiting.
  public var readable: Bool
  /// A write would take bytes, or fail at once (the connection ended).
  public var writable: Bool

  public init(readable: Bool, writable: Bool) {
    self.readable = readable
    self.writable = writable
  }
}

extension NetworkInterface {
  /// Notes that socket `id`'s readiness may have changed (set semantics).
  func noteReadiness(_ id: Int) {
    if readinessNoted.insert(id).inserted { readinessChanges.append(id) }
  }

  /// Calls `body` with each socket id noted since the last call, once each,
  /// oldest first, and forgets them.
  public func takeReadinessChanges(_ body: (Int) -> Void) {
    guard !readinessChanges.isEmpty else { return }
    for id in readinessChanges { body(id) }
    readinessChanges.removeAll(keepingCapacity: true)
    readinessNoted.removeAll(keepingCapacity: true)
  }

  /// What the TCP connection or listener `handle` is ready for. An unknown
  /// handle (freed) is both: a call on it fails at once.
  public func tcpReadiness(_ handle: TCPHandle) -> SocketReadiness {
    guard let block = tcpBlocks[handle.id] else {
      return SocketReadiness(readable: true, writable: true)
    }
    if block.state == .listen {
      return SocketReadiness(readable: !block.acceptQueue.isEmpty, writable: false)
    }
    let ended = block.error != nil || block.state == .closed
    let sending: Bool
    switch block.state {
    case .established, .closeWait: sending = block.sendBuffer.freeSpace > 0
    case .synSent, .synReceived: sending = false
    default: sending = true  // a write fails at once with .closed
    }
    return SocketReadiness(readable: tcpIsReadable(handle), writable: sending || ended)
  }

  /// What the UDP socket `handle` is ready for (it can always send).
  public func udpReadiness(_ handle: UDPHandle) -> SocketReadiness {
    SocketReadiness(readable: (udpSockets[handle.id]?.queuedCount ?? 1) > 0, writable: true)
  }
}
