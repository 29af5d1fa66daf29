// TCP on the interface: demultiplexing (RFC 9293 §3.10.7), listeners with a
// backlog, resets for segments nobody wants (§3.10.7.1), initial sequence
// numbers per RFC 6528, and the socket API. The per-connection state machine
// is Sockets/TCPControlBlock.swift.

/// Identifies a connection on this interface (we have one local address).
struct TCPEndpoints: Hashable {
  var localPort: UInt16
  var remoteAddress: IPv4Address
  var remotePort: UInt16
}

extension NetworkInterface {
  // MARK: Socket API

  /// Listens on `port` (1...65535; 0 picks a free ephemeral port) with room
  /// for `backlog` (clamped to 1...1024) established connections that are not
  /// yet accepted; SYNs beyond it are dropped (the peer retries). Handshakes in
  /// progress are bounded apart (`maximumHalfOpenConnections`, then SYN
  /// cookies: NetworkInterface+SynCookie.swift).
  /// `bufferSize`: each accepted connection's send and receive buffer (nil:
  /// `tcpBufferSize`), clamped to 1 KiB...16 MiB.
  public func tcpListen(port requested: UInt16, backlog: Int, bufferSize: Int? = nil) -> Result<
    TCPHandle, NetError
  > {
    var port = requested
    if port == 0 {
      // An ephemeral port nobody listens on or connects from (`tcpLocalPort`).
      guard
        let free = ephemeralPort(isFree: {
          tcpListeners[$0] == nil && tcpPortUsers[$0] == nil
        })
      else { return .failure(.noBuffers) }
      port = free
    }
    guard tcpListeners[port] == nil else { return .failure(.addressInUse) }
    let id = makeHandleID()
    let listener = TCPControlBlock(
      listenerID: id, address: configuration?.address ?? .unspecified, port: port,
      backlog: min(max(backlog, 1), 1024))
    listener.childBufferSize = bufferSize.map(Self.clampedBufferSize)
    tcpBlocks[id] = listener
    tcpListeners[port] = id
    return .success(TCPHandle(id: id))
  }

  /// The oldest established connection of a listener, or `.wouldBlock`.
  /// `.invalidArgument` if `listener` is not a listener.
  public func tcpAccept(_ listener: TCPHandle) -> Result<TCPHandle, NetError> {
    guard let block = tcpBlocks[listener.id], block.state == .listen else {
      return .failure(.invalidArgument)
    }
    guard !block.acceptQueue.isEmpty else { return .failure(.wouldBlock) }
    let childID = block.acceptQueue.removeFirst()
    block.children.removeAll { $0 == childID }
    tcpBlocks[childID]?.listenerID = nil
    tcpBlocks[childID]?.isReleased = false
    return .success(TCPHandle(id: childID))
  }

  /// Connections waiting for `tcpAccept`.
  public func tcpPendingAccepts(_ listener: TCPHandle) -> Int {
    tcpBlocks[listener.id]?.acceptQueue.count ?? 0
  }

  /// Opens a connection from an ephemeral port: sends SYN and returns at
  /// once in `synSent`; watch `tcpState` for `established` (or `closed`
  /// with `tcpReceive` telling `.connectionRefused`/`.timedOut`).
  /// `bufferSize`: the connection's send and receive buffer (nil:
  /// `tcpBufferSize`), clamped to 1 KiB...16 MiB.
  public func tcpConnect(
    to address: IPv4Address, port: UInt16, now: UInt64, bufferSize: Int? = nil
  ) -> Result<TCPHandle, NetError> {
    advanceClock(now)
    guard port != 0, !address.isUnspecified, !address.isBroadcast, !address.isMulticast else {
      return .failure(.invalidArgument)
    }
    guard let configuration else { return .failure(.noRoute) }
    if case .failure(let error) = configuration.nextHop(for: address) { return .failure(error) }
    guard tcpBlocks.count < maximumTCPConnections else { return .failure(.noBuffers) }
    guard
      let localPort = ephemeralPort(isFree: {
        tcpListeners[$0] == nil && tcpPortUsers[$0] == nil
      })
    else { return .failure(.noBuffers) }
    let endpoints = TCPEndpoints(localPort: localPort, remoteAddress: address, remotePort: port)
    let id = makeHandleID()
    let block = TCPControlBlock(
      id: id, localAddress: configuration.address, localPort: localPort, remoteAddress: address,
      remotePort: port,
      iss: initialSequenceNumber(endpoints, localAddress: configuration.address, now: lastNow),
      bufferSize: bufferSize.map(Self.clampedBufferSize) ?? tcpBufferSize, memory: bufferMemory)
    register(block, endpoints)
    block.connect(now: lastNow)
    flush(block)
    return .success(TCPHandle(id: id))
  }

  /// Why a connection ended (refused, reset, timed out); nil while it lives or
  /// after an orderly close.
  public func tcpError(_ handle: TCPHandle) -> NetError? {
    tcpBlocks[handle.id]?.error
  }

  /// The state of a connection or listener; `.closed` for unknown handles.
  public func tcpState(_ handle: TCPHandle) -> TCPState {
    tcpBlocks[handle.id]?.state ?? .closed
  }

  /// Queues bytes for sending and sends what the windows allow. Returns how
  /// many were taken (fewer than offered if the buffer fills), `.wouldBlock`
  /// if none fit, `.noBuffers` if memory for them could not be had, `.closed` after `tcpClose`, or the connection's error.
  /// Data queued in `synSent` goes out once established.
  ///
  /// `thenClose`: once all of `bytes` are taken, close as `tcpClose` does,
  /// with the FIN on the last data segment instead of one of its own. A
  /// server answering `Connection: close` so closes before the client can: a
  /// client that closes first leaves its side (QEMU's user networking, say) in
  /// TIME-WAIT. The connection is closed only when the result is all of
  /// `bytes`, in an established connection (else call again, or `tcpClose`).
  public func tcpSend(
    _ handle: TCPHandle, _ bytes: UnsafeRawBufferPointer, now: UInt64, thenClose: Bool = false
  ) -> Result<Int, NetError> {
    advanceClock(now)
    guard let block = tcpBlocks[handle.id], block.state != .listen else {
      return .failure(.invalidArgument)
    }
    if let error = block.error { return .failure(error) }
    switch block.state {
    case .synSent, .synReceived, .established, .closeWait: break
    default: return .failure(.closed)
    }
    guard !bytes.isEmpty else { return .success(0) }
    let wasOpen = block.finSequence == nil
    let taken = block.send(bytes, now: lastNow, thenClose: thenClose)
    if wasOpen && block.finSequence != nil { block.isReleased = true }
    flush(block)
    if taken > 0 { return .success(taken) }
    // Room in the window but no memory to hold the bytes (NetMemory's
    // budget, or the heap): an error now, not a wait nobody would end.
    return .failure(block.sendBuffer.freeSpace > 0 ? .noBuffers : .wouldBlock)
  }

  /// Copies received bytes. 0 means the peer closed (EOF) and everything was
  /// read; `.wouldBlock` means nothing yet; a reset or timeout is reported
  /// once the buffered bytes are read.
  public func tcpReceive(_ handle: TCPHandle, into buffer: UnsafeMutableRawBufferPointer)
    -> Result<Int, NetError>
  {
    guard let block = tcpBlocks[handle.id], block.state != .listen else {
      return .failure(.invalidArgument)
    }
    let count = block.receive(into: buffer, now: lastNow)
    flush(block)
    if count > 0 || buffer.isEmpty { return .success(count) }
    if let error = block.error { return .failure(error) }
    if block.finReceived || block.state == .closed { return .success(0) }
    return .failure(.wouldBlock)
  }

  /// Bytes `tcpReceive` can return now.
  public func tcpReceivable(_ handle: TCPHandle) -> Int {
    tcpBlocks[handle.id]?.receiveBuffer.count ?? 0
  }

  /// Free room in the send buffer (what `tcpSend` would take now).
  public func tcpSendSpace(_ handle: TCPHandle) -> Int {
    tcpBlocks[handle.id]?.sendBuffer.freeSpace ?? 0
  }

  /// True if `tcpReceive` would not return `.wouldBlock`.
  public func tcpIsReadable(_ handle: TCPHandle) -> Bool {
    guard let block = tcpBlocks[handle.id] else { return true }
    if block.state == .listen { return !block.acceptQueue.isEmpty }
    return block.receiveBuffer.count > 0 || block.finReceived || block.error != nil
      || block.state == .closed
  }

  /// The peer of a connection.
  public func tcpRemoteEndpoint(_ handle: TCPHandle) -> (address: IPv4Address, port: UInt16)? {
    guard let block = tcpBlocks[handle.id], block.state != .listen else { return nil }
    return (block.remoteAddress, block.remotePort)
  }

  /// The local port of a connection or listener.
  public func tcpLocalPort(_ handle: TCPHandle) -> UInt16? {
    tcpBlocks[handle.id]?.localPort
  }

  /// Closes for sending: FIN after the queued data. The handle must not be
  /// used afterwards; the connection lingers (FIN-WAIT, TIME-WAIT) and is
  /// freed when fully closed. Closing a listener resets its unaccepted
  /// connections.
  public func tcpClose(_ handle: TCPHandle, now: UInt64) {
    advanceClock(now)
    guard let block = tcpBlocks[handle.id] else { return }
    if block.state == .listen { return closeListener(block) }
    block.isReleased = true
    block.close(now: lastNow)
    flush(block)
  }

  /// Buffer sizes a socket may ask for.
  static func clampedBufferSize(_ size: Int) -> Int { min(max(size, 1024), 16 << 20) }

  /// Half-close: FIN after the queued data, while the handle stays ours to
  /// read what the peer still sends (`tcpClose` later releases it).
  public func tcpShutdown(_ handle: TCPHandle, now: UInt64) {
    advanceClock(now)
    guard let block = tcpBlocks[handle.id], block.state != .listen else { return }
    block.close(now: lastNow)
    flush(block)
  }

  /// Resets the connection (RST) and frees it at once.
  public func tcpAbort(_ handle: TCPHandle, now: UInt64) {
    advanceClock(now)
    guard let block = tcpBlocks[handle.id] else { return }
    if block.state == .listen { return closeListener(block) }
    block.isReleased = true
    block.abort()
    flush(block)
  }

  // MARK: Input

  /// `checksumVerified`: the NIC (or loopback) vouches for the checksum.
  func handleTCP(_ packet: IPv4Packet, isBroadcast: Bool, checksumVerified: Bool, now: UInt64) {
    // RFC 9293 §3.9.1: TCP is unicast only.
    guard !isBroadcast, let segment = TCPSegment(packet.payload),
      checksumVerified
        || segment.isChecksumValid(source: packet.source, destination: packet.destination)
    else { return drop() }
    let options = segment.flags.contains(.syn) ? segment.options : (nil, nil)
    var incoming = TCPIncoming(
      sequenceNumber: segment.sequenceNumber, acknowledgmentNumber: segment.acknowledgmentNumber,
      flags: segment.flags, window: segment.window, maximumSegmentSize: options.0,
      windowScale: options.1, payload: segment.payload)
    if segment.flags.contains(.syn) {
      incoming.sackPermitted = segment.sackPermitted
    } else if segment.flags.contains(.ack) {
      incoming.sackBlocks = segment.sackBlocks
    }
    let endpoints = TCPEndpoints(
      localPort: segment.destinationPort, remoteAddress: packet.source,
      remotePort: segment.sourcePort)
    if let id = tcpConnections[endpoints], let block = tcpBlocks[id] {
      // RFC 9293 §3.10.7.4 (RFC 6191): a SYN beyond what the old connection
      // received may open a new incarnation of a connection in TIME-WAIT. Hosts
      // reuse ports within seconds; answering with a challenge ACK instead makes
      // the client's next try wait for its SYN timeout.
      if block.state == .timeWait, incoming.flags.contains(.syn),
        !incoming.flags.contains(.ack), !incoming.flags.contains(.rst),
        TCPSeq.gt(incoming.sequenceNumber, block.rcvNxt),
        let listenerID = tcpListeners[segment.destinationPort],
        let listener = tcpBlocks[listenerID]
      {
        block.endTimeWait()
        flush(block)
        return listen(listener, incoming, endpoints, localAddress: packet.destination, now: now)
      }
      block.process(incoming, now: now)
      flush(block)
      return
    }
    if let id = tcpListeners[segment.destinationPort], let listener = tcpBlocks[id] {
      return listen(listener, incoming, endpoints, localAddress: packet.destination, now: now)
    }
    sendReset(answering: incoming, endpoints, localAddress: packet.destination, now: now)
  }

  /// §3.10.7.2, LISTEN: ignore RST, reset an ACK (unless it returns a SYN
  /// cookie), open a child for a SYN while the SYN queue has room, else
  /// answer with a cookie.
  private func listen(
    _ listener: TCPControlBlock, _ segment: TCPIncoming, _ endpoints: TCPEndpoints,
    localAddress: IPv4Address, now: UInt64
  ) {
    if segment.flags.contains(.rst) { return }
    if segment.flags.contains(.ack) {
      if acceptSynCookie(listener, segment, endpoints, localAddress: localAddress, now: now) {
        return
      }
      return sendReset(answering: segment, endpoints, localAddress: localAddress, now: now)
    }
    guard segment.flags.contains(.syn) else { return drop() }
    guard listener.acceptQueue.count < listener.backlog,
      tcpBlocks.count < maximumTCPConnections
    else { return drop() }
    if listener.children.count - listener.acceptQueue.count >= maximumHalfOpenConnections {
      return sendSynCookie(answering: segment, endpoints, localAddress: localAddress, now: now)
    }
    let id = makeHandleID()
    let child = TCPControlBlock(
      id: id, localAddress: localAddress, localPort: endpoints.localPort,
      remoteAddress: endpoints.remoteAddress, remotePort: endpoints.remotePort,
      iss: initialSequenceNumber(endpoints, localAddress: localAddress, now: now),
      bufferSize: listener.childBufferSize ?? tcpBufferSize, memory: bufferMemory)
    child.listenerID = listener.id
    child.isReleased = true  // until accepted, nobody else will close it
    listener.children.append(id)
    register(child, endpoints)
    child.acceptSyn(segment, now: now)
    flush(child)
  }

  /// §3.10.7.1: "If the ACK bit is off, sequence number zero is used,
  /// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. If the ACK bit is on,
  /// <SEQ=SEG.ACK><CTL=RST>." Never in answer to a RST.
  private func sendReset(
    answering segment: TCPIncoming, _ endpoints: TCPEndpoints, localAddress: IPv4Address,
    now: UInt64
  ) {
    guard !segment.flags.contains(.rst) else { return }
    var header = TCPHeader(
      sourcePort: endpoints.localPort, destinationPort: endpoints.remotePort, sequenceNumber: 0,
      acknowledgmentNumber: 0, flags: [.rst], window: 0)
    if segment.flags.contains(.ack) {
      header.sequenceNumber = segment.acknowledgmentNumber
    } else {
      header.acknowledgmentNumber = segment.sequenceNumber &+ UInt32(segment.length)
      header.flags.insert(.ack)
    }
    transmitTCP(
      TCPOutgoing(header: header, payload: []), from: localAddress, to: endpoints.remoteAddress,
      now: now)
  }

  // MARK: Timers

  func pollTCP(now: UInt64) {
    var due: [TCPControlBlock] = []
    for id in tcpActive {
      if let block = tcpBlocks[id], let deadline = block.nextDeadline, deadline <= now {
        due.append(block)
      }
    }
    // TIME-WAIT ends in the order it began (a retransmitted FIN that restarts
    // one only holds back the ones behind it, which then end a little late).
    while let block = firstInTimeWait() {
      guard let deadline = block.nextDeadline, deadline <= now else { break }
      popTimeWait()
      due.append(block)
    }
    for block in due {
      block.poll(now: now)
      flush(block)
    }
  }

  var tcpDeadline: UInt64? {
    var next = firstInTimeWait()?.nextDeadline
    for id in tcpActive { next = earliest(next, tcpBlocks[id]?.nextDeadline) }
    return next
  }

  /// The oldest connection still in TIME-WAIT (stale entries are dropped).
  private func firstInTimeWait() -> TCPControlBlock? {
    while tcpTimeWaitHead < tcpTimeWait.count {
      if let block = tcpBlocks[tcpTimeWait[tcpTimeWaitHead]], block.state == .timeWait {
        return block
      }
      popTimeWait()
    }
    return nil
  }

  private func popTimeWait() {
    if let block = tcpBlocks[tcpTimeWait[tcpTimeWaitHead]] { block.isQueuedForTimeWait = false }
    tcpTimeWaitHead += 1
    if tcpTimeWaitHead > 64 && tcpTimeWaitHead * 2 > tcpTimeWait.count {
      tcpTimeWait.removeFirst(tcpTimeWaitHead)
      tcpTimeWaitHead = 0
    }
  }

  /// Ends the oldest TIME-WAITs beyond `maximumTimeWaitConnections`.
  private func trimTimeWait() {
    while tcpTimeWait.count - tcpTimeWaitHead > maximumTimeWaitConnections,
      let oldest = firstInTimeWait()
    {
      popTimeWait()
      oldest.endTimeWait()
      flush(oldest)
    }
  }

  /// Files the connection where `pollTCP` will look for its timers.
  private func trackTimers(_ block: TCPControlBlock) {
    switch block.state {
    case .listen, .closed:
      tcpActive.remove(block.id)
    case .timeWait:
      tcpActive.remove(block.id)
      if !block.isQueuedForTimeWait {
        block.isQueuedForTimeWait = true
        tcpTimeWait.append(block.id)
        trimTimeWait()
      }
    default:
      tcpActive.insert(block.id)
    }
  }

  // MARK: Bookkeeping

  func register(_ block: TCPControlBlock, _ endpoints: TCPEndpoints) {
    tcpBlocks[block.id] = block
    tcpConnections[endpoints] = block.id
    tcpPortUsers[endpoints.localPort, default: 0] += 1
  }

  /// Sends the block's outbox, then updates listener queues and frees it if done.
  func flush(_ block: TCPControlBlock) {
    trackTimers(block)
    noteReadiness(block.id)
    if block.counters != TCPCounters() {
      tcpCounters.add(block.counters)
      block.counters = TCPCounters()
    }
    if !block.outbox.isEmpty {
      for segment in block.outbox {
        if segment.isChallengeACK && !challengeACKs.allow(now: lastNow, random: &random) {
          continue
        }
        transmitTCP(segment, from: block.localAddress, to: block.remoteAddress, now: lastNow)
      }
      block.outbox.removeAll(keepingCapacity: true)
    }
    if let listenerID = block.listenerID, let listener = tcpBlocks[listenerID] {
      if block.state == .closed {
        listener.children.removeAll { $0 == block.id }
        listener.acceptQueue.removeAll { $0 == block.id }
      } else if block.state != .synReceived && !listener.acceptQueue.contains(block.id) {
        listener.acceptQueue.append(block.id)
        noteReadiness(listener.id)
      }
    }
    if block.state == .closed {
      let endpoints = TCPEndpoints(
        localPort: block.localPort, remoteAddress: block.remoteAddress,
        remotePort: block.remotePort)
      if tcpConnections[endpoints] == block.id {
        tcpConnections[endpoints] = nil
        let users = (tcpPortUsers[block.localPort] ?? 1) - 1
        tcpPortUsers[block.localPort] = users > 0 ? users : nil
      }
      if block.isReleased { tcpBlocks[block.id] = nil }
    }
  }

  private func closeListener(_ listener: TCPControlBlock) {
    for childID in listener.children {
      guard let child = tcpBlocks[childID] else { continue }
      child.listenerID = nil
      child.abort()
      flush(child)
    }
    listener.children = []
    listener.acceptQueue = []
    tcpListeners[listener.localPort] = nil
    tcpBlocks[listener.id] = nil
  }

  func transmitTCP(
    _ segment: TCPOutgoing, from source: IPv4Address, to destination: IPv4Address, now: UInt64
  ) {
    tcpCounters.segmentsSent += 1
    var frame = NetworkInterface.makeIPv4Frame(reserving: 60 + segment.payload.count)
    let start = frame.count
    TCPSegment.emitHeader(segment.header, into: &frame)
    frame.append(contentsOf: segment.payload)
    TCPSegment.finish(
      &frame, segmentStart: start, source: source, destination: destination,
      partial: offloadsTCPChecksum)
    transmitIPv4(
      consume frame, source: source, destination: destination, protocolNumber: IPProtocol.tcp,
      now: now)
  }

  /// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
  /// secretkey), M "a timer that is incremented every 4 microseconds" and F
  /// "a pseudorandom function ... with a secret key": SipHash-2-4 under
  /// `tcpSecret`, so the ISNs of other connections tell nothing of this one.
  func initialSequenceNumber(
    _ endpoints: TCPEndpoints, localAddress: IPv4Address, now: UInt64
  ) -> UInt32 {
    var hash = SipHash(key: tcpSecret)
    hash.append(UInt64(localAddress.value) << 32 | UInt64(endpoints.remoteAddress.value))
    hash.append(UInt64(endpoints.localPort) << 16 | UInt64(endpoints.remotePort))
    return UInt32(truncatingIfNeeded: hash.finalize()) &+ UInt32(truncatingIfNeeded: now &* 250)
  }
}
