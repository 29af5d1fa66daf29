// Blocking sockets for apps, over the network thread's stack (Network.swift).
// Every call may block; each takes an optional timeout (nil waits forever,
// and so does a timeout too long to end; `.zero` only tries) and fails with a
// NetError that names the cause. A blocked call waits on its socket's own
// watcher (Readiness.swift): only packets for that socket wake it.

/// Uptime in milliseconds `timeout` from now, or nil for no limit.
private func deadline(_ timeout: Duration?) -> UInt64? { networkDeadline(timeout) }

/// Ends a socket: its watcher leaves, `action` runs on the stack, and what
/// that queued is sent.
private func endSocket(
  _ network: Network, _ id: Int, _ watcher: ReadinessWatcher,
  _ action: (NetworkInterface, UInt64) -> Void
) {
  network.lock.withLock {
    network.unwatchLocked(id, watcher)
    action(network.interface, Network.milliseconds)
    network.flushLocked()
  }
}

/// A socket's watcher, registered for its id while the socket is open.
private func makeWatcher(_ network: Network, _ id: Int) -> ReadinessWatcher {
  let watcher = ReadinessWatcher()
  network.lock.withLock { network.watchLocked(id, watcher) }
  return watcher
}

/// The started, configured network, or why there is none.
private func configuredNetwork() throws(NetError) -> Network {
  guard let network = Network.shared else { throw .noRoute }
  try network.waitForConfiguration().get()
  return network
}

/// A TCP port accepting connections.
public final class TCPListener {
  let network: Network
  let handle: TCPHandle
  let watcher: ReadinessWatcher
  var closed = false
  /// The port listened on (the one chosen, when asked for port 0).
  public let port: UInt16

  /// Listens on `port` on every address of the interface (0: an ephemeral
  /// port, see `port`); waits for DHCP first. `backlog` bounds the
  /// established connections not yet accepted; `bufferSize` sets their send
  /// and receive buffers (the most each holds: the TCP window; default 64 KiB).
  public init(port: UInt16, backlog: Int = 32, bufferSize: Int? = nil) throws(NetError) {
    let network = try configuredNetwork()
    let handle = try network.retry(until: nil) { interface, _ in
      interface.tcpListen(port: port, backlog: backlog, bufferSize: bufferSize)
    }.get()
    self.network = network
    self.handle = handle
    self.port = network.lock.withLock { network.interface.tcpLocalPort(handle) } ?? port
    watcher = makeWatcher(network, handle.id)
  }

  /// The next connection; waits for one at most `timeout`. `.closed` once
  /// the listener is closed.
  public func accept(timeout: Duration? = nil) throws(NetError) -> TCPStream {
    guard !closed else { throw .closed }
    let handle = self.handle
    let connection = try network.retry(until: deadline(timeout), watching: watcher) {
      interface, _ in
      interface.tcpAccept(handle)
    }.get()
    return TCPStream(network: network, handle: connection)
  }

  /// Stops listening: the port is free again, and connections not yet
  /// accepted are reset. Also on deinit.
  public func close() {
    guard !closed else { return }
    closed = true
    let handle = self.handle
    endSocket(network, handle.id, watcher) { $0.tcpClose(handle, now: $1) }
  }

  deinit { close() }
}

/// One TCP connection.
public final class TCPStream {
  let network: Network
  let handle: TCPHandle
  let watcher: ReadinessWatcher
  var closed = false

  init(network: Network, handle: TCPHandle) {
    self.network = network
    self.handle = handle
    watcher = makeWatcher(network, handle.id)
  }

  /// The peer's address and port; nil once the connection is gone.
  public var remoteEndpoint: (address: IPv4Address, port: UInt16)? {
    let handle = self.handle
    return network.lock.withLock { network.interface.tcpRemoteEndpoint(handle) }
  }

  /// Our address and port of this connection; nil once it is gone.
  public var localEndpoint: (address: IPv4Address, port: UInt16)? {
    let handle = self.handle
    return network.lock.withLock { () -> (address: IPv4Address, port: UInt16)? in
      guard let port = network.interface.tcpLocalPort(handle),
        let address = network.interface.configuration?.address
      else { return nil }
      return (address, port)
    }
  }

  /// Connects to `host` (an address or a name for DNS) on `port`.
  /// `bufferSize` sets the send and receive buffers (default 64 KiB).
  public static func connect(
    to host: String, port: UInt16, timeout: Duration? = nil, bufferSize: Int? = nil
  ) throws(NetError) -> TCPStream {
    let network = try configuredNetwork()
    let limit = deadline(timeout)
    let address = try resolve(host, network: network, deadline: limit)
    let handle = try network.retry(until: limit) { interface, now in
      interface.tcpConnect(to: address, port: port, now: now, bufferSize: bufferSize)
    }.get()
    let stream = TCPStream(network: network, handle: handle)
    // Wait for the handshake; a refusal or time-out leaves the connection closed
    // with its cause.
    let established: Result<Void, NetError> = network.retry(
      until: limit, watching: stream.watcher
    ) { interface, _ in
      switch interface.tcpState(handle) {
      case .synSent, .synReceived: return .failure(.wouldBlock)
      case .closed: return .failure(interface.tcpError(handle) ?? .connectionRefused)
      default: return .success(())
      }
    }
    if case .failure(let error) = established {
      stream.abort()
      throw error
    }
    return stream
  }

  /// Up to `maximum` bytes; an empty array when the peer closed its side.
  public func read(maximum: Int = 4096, timeout: Duration? = nil) throws(NetError) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: max(maximum, 1))
    let handle = self.handle
    let limit = deadline(timeout)
    let count = try buffer.withUnsafeMutableBytes { bytes in
      network.retry(until: limit, watching: watcher) { interface, _ in
        interface.tcpReceive(handle, into: bytes)
      }
    }.get()
    buffer.removeLast(buffer.count - count)
    return buffer
  }

  /// What has arrived, up to `maximum` bytes, without waiting: nil when
  /// nothing has, an empty array at the end of the stream. For event loops
  /// (`SocketPoller`).
  public func readSome(maximum: Int = 16384) throws(NetError) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: max(maximum, 1))
    let handle = self.handle
    let result = buffer.withUnsafeMutableBytes { bytes in
      network.lock.withLock {
        let result = network.interface.tcpReceive(handle, into: bytes)
        network.flushLocked()  // a window update may be due
        return result
      }
    }
    switch result {
    case .success(let count):
      buffer.removeLast(buffer.count - count)
      return buffer
    case .failure(.wouldBlock): return nil
    case .failure(let error): throw error
    }
  }

  /// Queues as much of `bytes` as the send buffer takes now, without
  /// waiting; returns how many bytes it took (0: none, try when writable).
  /// `thenClose`: once all of `bytes` are taken, close as `writeAndClose`
  /// does, the FIN riding on the last data segment.
  public func writeSome(_ bytes: UnsafeRawBufferPointer, thenClose: Bool = false) throws(NetError)
    -> Int
  {
    guard !bytes.isEmpty else { return 0 }
    let handle = self.handle
    let result = network.lock.withLock {
      let result = network.interface.tcpSend(
        handle, bytes, now: Network.milliseconds, thenClose: thenClose)
      network.flushLocked()
      return result
    }
    switch result {
    case .success(let count): return count
    case .failure(.wouldBlock): return 0
    case .failure(let error): throw error
    }
  }

  /// Sends all of `bytes`, waiting for window space as needed.
  public func write(_ bytes: [UInt8], timeout: Duration? = nil) throws(NetError) {
    try send(bytes, thenClose: false, timeout: timeout)
  }

  /// Sends all of `bytes`, then closes like `close()`, with the FIN on the last
  /// data segment: a server's last answer. A client that closes as soon as it
  /// has the answer then finds the server's side closed first, and the
  /// client's side (QEMU's user networking, a host) holds no TIME-WAIT.
  public func writeAndClose(_ bytes: [UInt8], timeout: Duration? = nil) throws(NetError) {
    try send(bytes, thenClose: true, timeout: timeout)
    close()  // nothing left to do unless the stack could not close with the data
  }

  private func send(_ bytes: [UInt8], thenClose: Bool, timeout: Duration?) throws(NetError) {
    let limit = deadline(timeout)
    var offset = 0
    let handle = self.handle
    while offset < bytes.count {
      let sent = try bytes.withUnsafeBytes { all in
        let rest = UnsafeRawBufferPointer(rebasing: all[offset...])
        return network.retry(until: limit, watching: watcher) { interface, now in
          interface.tcpSend(handle, rest, now: now, thenClose: thenClose)
        }
      }.get()
      offset += sent
    }
  }

  /// Sends the UTF-8 bytes of `text`.
  public func write(_ text: String, timeout: Duration? = nil) throws(NetError) {
    try write(Array(text.utf8), timeout: timeout)
  }

  /// Ends our side (FIN after what was written) and keeps reading what the
  /// peer still sends: a half-close (shutdown(SHUT_WR)).
  public func shutdownWrite() {
    guard !closed else { return }
    let handle = self.handle
    network.lock.withLock {
      network.interface.tcpShutdown(handle, now: Network.milliseconds)
      network.flushLocked()
    }
  }

  /// Sends FIN after what was written; the stack finishes the close.
  public func close() {
    guard !closed else { return }
    closed = true
    let handle = self.handle
    endSocket(network, handle.id, watcher) { $0.tcpClose(handle, now: $1) }
  }

  /// Resets the connection.
  public func abort() {
    guard !closed else { return }
    closed = true
    let handle = self.handle
    endSocket(network, handle.id, watcher) { $0.tcpAbort(handle, now: $1) }
  }

  deinit { close() }
}

/// A UDP socket.
public final class UDPSocket {
  let network: Network
  let handle: UDPHandle
  let watcher: ReadinessWatcher

  /// Binds `port` (0: an ephemeral port).
  public init(port: UInt16 = 0) throws(NetError) {
    network = try configuredNetwork()
    handle = try network.retry(until: nil) { interface, _ in interface.udpBind(port: port) }.get()
    watcher = makeWatcher(network, handle.id)
  }

  /// Sends one datagram to `host` (address or name) and `port`.
  public func send(_ bytes: [UInt8], to host: String, port: UInt16, timeout: Duration? = nil)
    throws(NetError)
  {
    let limit = deadline(timeout)
    let address = try resolve(host, network: network, deadline: limit)
    let handle = self.handle
    _ = try bytes.withUnsafeBytes { data in
      network.retry(until: limit) { interface, now in
        interface.udpSend(handle, to: address, port: port, data, now: now)
      }
    }.get()
  }

  /// The next datagram, its sender's address and port.
  public func receive(maximum: Int = 2048, timeout: Duration? = nil) throws(NetError) -> (
    bytes: [UInt8], address: IPv4Address, port: UInt16
  ) {
    var buffer = [UInt8](repeating: 0, count: max(maximum, 1))
    let handle = self.handle
    let limit = deadline(timeout)
    let result = try buffer.withUnsafeMutableBytes { bytes in
      network.retry(until: limit, watching: watcher) { interface, _ in
        interface.udpReceive(handle, into: bytes)
      }
    }.get()
    buffer.removeLast(buffer.count - result.count)
    return (buffer, result.from, result.port)
  }

  deinit {
    let handle = self.handle
    network.lock.withLock {
      network.unwatchLocked(handle.id, watcher)
      network.interface.udpClose(handle)
    }
  }
}

/// `host` as an address, asking DNS when it is a name.
private func resolve(_ host: String, network: Network, deadline: UInt64?) throws(NetError)
  -> IPv4Address
{
  if let address = IPv4Address(parsing: host) { return address }
  let query = try network.retry(until: deadline) { interface, now in
    interface.dnsStart(name: host, now: now)
  }.get()
  let result = network.retry(until: deadline) { interface, _ in interface.dnsResult(query) }
  // A lookup given up on here (the caller's deadline) would otherwise hold
  // its slot and port until the resolver's own timeout.
  if case .failure(.timedOut) = result {
    network.lock.withLock { network.interface.dnsCancel(query) }
  }
  return try result.get()
}

/// Resolves `name` to an IPv4 address with the DNS servers DHCP gave.
public func resolveHost(_ name: String, timeout: Duration? = nil) throws(NetError) -> IPv4Address {
  let network = try configuredNetwork()
  return try resolve(name, network: network, deadline: deadline(timeout))
}
