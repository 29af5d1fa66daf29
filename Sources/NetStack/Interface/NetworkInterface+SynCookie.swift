// SYN flood defence for listeners (RFC 4987): a SYN queue apart from the
// accept queue, and SYN cookies (Sockets/TCPSynCookie.swift) once it is full.
//
// - A listener keeps at most `maximumHalfOpenConnections` children in
//   SYN-RECEIVED; each costs a control block and no buffers (ByteRing
//   allocates at the first byte), and gives up after
//   `TCPControlBlock.maximumSynAckRetransmissions` SYN-ACKs.
// - Beyond that a SYN is answered with a cookie and nothing is kept, so
//   spoofed SYNs, however many, cannot crowd out a client that completes
//   its handshake: its ACK brings the cookie back and makes the connection.
// - The accept queue (`backlog`) holds established connections only; while
//   it is full SYNs and cookie ACKs are dropped, and the peer retries.
//
// Cookies are the choice over evicting the oldest half-open entry because
// eviction only moves the lock-out: at 10,000 spoofed SYNs/s a queue of 128
// keeps an entry 13 ms, shorter than most clients' round trip; a cookie
// holds for its 64 to 128 s whatever the rate, at the cost of window scaling
// for the connections made from one.

extension NetworkInterface {
  /// Answers a SYN with a cookie SYN-ACK and keeps nothing.
  func sendSynCookie(
    answering segment: TCPIncoming, _ endpoints: TCPEndpoints, localAddress: IPv4Address,
    now: UInt64
  ) {
    // RFC 9293 §3.7.1: 536 without an MSS option.
    var peerMSS = TCPControlBlock.defaultSendMSS
    if let mss = segment.maximumSegmentSize, mss > 0 { peerMSS = Int(mss) }
    let cookie = TCPSynCookie.make(
      secret: tcpSecret, localAddress: localAddress, endpoints: endpoints,
      peerISN: segment.sequenceNumber, maximumSegmentSize: peerMSS, now: now)
    tcpLastSynCookie = now
    var header = TCPHeader(
      sourcePort: endpoints.localPort, destinationPort: endpoints.remotePort,
      sequenceNumber: cookie, acknowledgmentNumber: segment.sequenceNumber &+ 1,
      flags: [.syn, .ack], window: UInt16(min(tcpBufferSize, 0xffff)))
    header.maximumSegmentSize = UInt16(TCPControlBlock.ourMSS)
    transmitTCP(
      TCPOutgoing(header: header, payload: []), from: localAddress, to: endpoints.remoteAddress,
      now: now)
  }

  /// An ACK that reached a listener: if it returns a good cookie, the
  /// connection it completes is made and fed the segment. False if the ACK
  /// carries no cookie of ours (the caller resets it).
  func acceptSynCookie(
    _ listener: TCPControlBlock, _ segment: TCPIncoming, _ endpoints: TCPEndpoints,
    localAddress: IPv4Address, now: UInt64
  ) -> Bool {
    // Cookies are looked for only while they may be out (Linux's
    // tcp_synq_no_recent_overflow): at other times forging one gains nothing.
    guard let sent = tcpLastSynCookie, now &- sent < 2 * TCPSynCookie.period,
      !segment.flags.contains(.syn), !segment.flags.contains(.rst)
    else { return false }
    let cookie = segment.acknowledgmentNumber &- 1
    let peerISN = segment.sequenceNumber &- 1
    guard
      let mss = TCPSynCookie.check(
        cookie, secret: tcpSecret, localAddress: localAddress, endpoints: endpoints,
        peerISN: peerISN, now: now)
    else { return false }
    guard listener.acceptQueue.count < listener.backlog,
      tcpBlocks.count < maximumTCPConnections
    else {
      drop()
      return true
    }
    let id = makeHandleID()
    let child = TCPControlBlock(
      id: id, localAddress: localAddress, localPort: endpoints.localPort,
      remoteAddress: endpoints.remoteAddress, remotePort: endpoints.remotePort, iss: cookie,
      bufferSize: listener.childBufferSize ?? tcpBufferSize, memory: bufferMemory)
    child.listenerID = listener.id
    child.isReleased = true  // until accepted, nobody else will close it
    listener.children.append(id)
    register(child, endpoints)
    child.acceptCookie(peerISN: peerISN, maximumSegmentSize: mss)
    child.process(segment, now: now)
    flush(child)
    return true
  }
}
