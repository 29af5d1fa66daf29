// The readiness machinery under every socket call: who waits for which socket.
//
// - The stack notes the sockets a packet, a timer or a call concerned
//   (NetStack's `takeReadinessChanges`). After each turn of the network (and
//   each socket call) `Network.wakeReadyLocked` hands those ids to the
//   watchers registered for them, and to nobody else: a packet wakes only the
//   sockets it concerns.
// - A watcher is one waiting party: a socket's own (a thread blocked in
//   `read`, `accept`, `write`, `connect`) or a `SocketPoller`'s, which one
//   thread waits on for many sockets. Async sockets suspend on the same
//   watchers. All of it is guarded by `Network.lock`.

/// One party waiting for sockets: the ids woken since it last looked, and a
/// condition its thread sleeps on (with `Network.lock`).
final class ReadinessWatcher {
  let condition = Condition()
  /// Socket ids woken and not yet looked at (duplicates possible).
  var woken: [Int] = []

  func wake(_ id: Int) {
    woken.append(id)
    condition.broadcast()
  }
}

extension Network {
  /// Registers `watcher` for socket `id`. Lock held.
  func watchLocked(_ id: Int, _ watcher: ReadinessWatcher) {
    if watchers[id] == nil {
      watchers[id] = [watcher]
    } else if !watchers[id]!.contains(where: { $0 === watcher }) {
      watchers[id]!.append(watcher)
    }
  }

  /// Removes `watcher` from socket `id`. Lock held.
  func unwatchLocked(_ id: Int, _ watcher: ReadinessWatcher) {
    guard var list = watchers[id] else { return }
    list.removeAll { $0 === watcher }
    watchers[id] = list.isEmpty ? nil : list
  }

  /// Wakes the watchers of every socket the stack noted. Lock held.
  func wakeReadyLocked() {
    interface.takeReadinessChanges { id in
      guard let list = watchers[id] else { return }
      for watcher in list { watcher.wake(id) }
    }
  }
}

/// Waits on many sockets at once, so that one thread can serve many
/// connections (poll(2)'s job): add sockets with a token of your choosing,
/// then `wait` returns the tokens of those ready to read (or accept) and, where
/// asked, to write. Level-triggered: a socket stays ready until it is read,
/// accepted or written to exhaustion.
///
///     let poller = try SocketPoller()
///     poller.add(listener, token: 0)
///     for event in poller.wait(timeout: .seconds(1)) where event.token == 0 {
///       let stream = try listener.accept(timeout: .zero)
///     }
public final class SocketPoller {
  /// A socket that is ready.
  public struct Event {
    public let token: Int
    /// `read` or `accept` will not block.
    public let readable: Bool
    /// `write` will take bytes without blocking (asked with `writable: true`).
    public let writable: Bool
  }

  enum Socket {
    case tcp(TCPHandle)
    case udp(UDPHandle)
  }

  struct Entry {
    var socket: Socket
    var token: Int
    var wantsWrite: Bool
  }

  let network: Network
  let watcher = ReadinessWatcher()
  /// Watched sockets by id.
  var entries: [Int: Entry] = [:]
  /// Ids found ready at the last `wait`: looked at again (level-triggered).
  var stillReady: [Int] = []

  public init() throws(NetError) {
    guard let network = Network.shared else { throw .noRoute }
    self.network = network
  }

  public func add(_ listener: TCPListener, token: Int) {
    add(.tcp(listener.handle), id: listener.handle.id, token: token, wantsWrite: false)
  }

  /// `writable`: also report when a write would take bytes.
  public func add(_ stream: TCPStream, token: Int, writable: Bool = false) {
    add(.tcp(stream.handle), id: stream.handle.id, token: token, wantsWrite: writable)
  }

  public func add(_ socket: UDPSocket, token: Int) {
    add(.udp(socket.handle), id: socket.handle.id, token: token, wantsWrite: false)
  }

  public func remove(_ stream: TCPStream) { remove(id: stream.handle.id) }
  public func remove(_ listener: TCPListener) { remove(id: listener.handle.id) }
  public func remove(_ socket: UDPSocket) { remove(id: socket.handle.id) }

  /// Changes what `stream` is watched for (its token stays).
  public func update(_ stream: TCPStream, writable: Bool) {
    network.lock.withLock {
      entries[stream.handle.id]?.wantsWrite = writable
      watcher.woken.append(stream.handle.id)
    }
  }

  /// Sockets watched.
  public var count: Int { network.lock.withLock { entries.count } }

  private func add(_ socket: Socket, id: Int, token: Int, wantsWrite: Bool) {
    network.lock.withLock {
      entries[id] = Entry(socket: socket, token: token, wantsWrite: wantsWrite)
      network.watchLocked(id, watcher)
      watcher.woken.append(id)  // looked at on the next wait
    }
  }

  private func remove(id: Int) {
    network.lock.withLock {
      entries[id] = nil
      network.unwatchLocked(id, watcher)
    }
  }

  /// The sockets ready now, waiting for one at most `timeout` (nil: forever;
  /// `.zero`: just look). Empty when the time ran out.
  public func wait(timeout: Duration? = nil) -> [Event] {
    let limit = networkDeadline(timeout)
    network.lock.lock()
    defer { network.lock.unlock() }
    while true {
      var events: [Event] = []
      var candidates = stillReady
      candidates.append(contentsOf: watcher.woken)
      watcher.woken.removeAll(keepingCapacity: true)
      stillReady.removeAll(keepingCapacity: true)
      var seen = Set<Int>()
      for id in candidates where seen.insert(id).inserted {
        guard let entry = entries[id] else { continue }
        let readiness: SocketReadiness
        switch entry.socket {
        case .tcp(let handle): readiness = network.interface.tcpReadiness(handle)
        case .udp(let handle): readiness = network.interface.udpReadiness(handle)
        }
        let writable = entry.wantsWrite && readiness.writable
        guard readiness.readable || writable else { continue }
        events.append(Event(token: entry.token, readable: readiness.readable, writable: writable))
        stillReady.append(id)
      }
      if !events.isEmpty { return events }
      let now = Network.milliseconds
      if let limit, now >= limit { return [] }
      _ = watcher.condition.wait(network.lock, deadline: limit.map { $0 * 1_000_000 })
    }
  }

  deinit {
    network.lock.withLock {
      for id in entries.keys { network.unwatchLocked(id, watcher) }
    }
  }
}

/// Uptime in milliseconds `timeout` from now; nil (no limit) for nil or for a
/// timeout so long that it never ends (Int64.max seconds included): the
/// arithmetic saturates instead of trapping or wrapping.
func networkDeadline(_ timeout: Duration?) -> UInt64? {
  guard let timeout else { return nil }
  let (seconds, attoseconds) = timeout.components
  if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return Network.milliseconds }
  // A century is forever for a unikernel, and keeps nanoseconds in UInt64.
  guard seconds < 100 * 365 * 86_400 else { return nil }
  return Network.milliseconds + UInt64(seconds) * 1000 + UInt64(attoseconds / 1_000_000_000_000_000)
}
