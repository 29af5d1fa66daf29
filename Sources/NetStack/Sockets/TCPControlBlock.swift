// A TCP connection or listener: the transmission control block of RFC 9293
// §3.3.1 and its segment processing (§3.10.7), with
// - retransmission timeout per RFC 6298 (Karn's algorithm, backoff) with
//   Linux's 200 ms floor,
// - slow start and congestion avoidance per RFC 5681 with appropriate byte
//   counting (RFC 3465), an initial window of 10 segments (RFC 6928) and
//   limited transmit (RFC 3042),
// - SACK (RFC 2018) and D-SACK (RFC 2883) both ways; when the peer agreed to
//   SACK, loss detection by RACK-TLP (RFC 8985) and recovery per RFC 6675,
//   undone when D-SACKs show it spurious (RFC 3708); NewReno fast recovery
//   (RFC 6582) when it did not,
// - MSS (RFC 9293 §3.7.1) and window scaling (RFC 7323 §2),
// - delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2), zero-window probes
//   (RFC 9293 §3.8.6.1), TIME-WAIT of 2 MSL, RST, SYN and ACK validation
//   with challenge ACKs (RFC 5961 §3-5).
//
// The block knows no interface: segments to send go to `outbox` (the
// interface wraps them in IPv4 and Ethernet), times are passed in.

/// A segment the block wants sent.
struct TCPOutgoing {
  var header: TCPHeader
  var payload: [UInt8]
  /// An RFC 5961 challenge ACK, which the interface sends only within its
  /// rate limit (§7).
  var isChallengeACK = false
}

/// The fields of a received segment the state machine reads.
struct TCPIncoming {
  var sequenceNumber: UInt32
  var acknowledgmentNumber: UInt32
  var flags: TCPFlags
  var window: UInt16
  var maximumSegmentSize: UInt16?
  var windowScale: UInt8?
  /// A SYN carried SACK-Permitted (RFC 2018 §2).
  var sackPermitted = false
  /// The SACK option's blocks (RFC 2018 §3), of an ACK.
  var sackBlocks: [TCPSackBlock] = []
  var payload: UnsafeRawBufferPointer

  /// SEG.LEN: data plus one for each of SYN and FIN.
  var length: Int {
    payload.count + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
  }
}

/// Loss recovery with SACK, restructured as RFC 8985 §4 suggests: RACK-TLP
/// decides what is lost, RFC 6675 how fast to send while recovering.
/// - TCPTransmissionQueue keeps each segment in flight with the time and
///   order it was last sent, and whether it is SACKed or lost. RACK marks a
///   segment lost once a segment sent after it was delivered and it is later
///   than that one's RTT plus a reordering window (a quarter of the minimum
///   RTT, widened by D-SACKs of retransmissions, none while no reordering was seen and DupThresh
///   segments are SACKed); a timer catches the ones not late yet.
///   RFC 6675's IsLost counts SACKed bytes above a hole, so it cannot tell
///   a lost retransmission (no later data SACKed may come) from a hole that
///   reordering made, nor see a loss with fewer than DupThresh segments
///   after it; send times can, and they replace IsLost and HighRxt. The
///   scoreboard (TCPScoreboard) only holds the peer's SACK ranges.
/// - A tail loss probe, 2 SRTT after the last send or advance, sends new
///   data or the last segment again, so that a loss at the end of a flight
///   draws a SACK instead of waiting for the 200 ms RTO. In a recovery, one
///   probe resends the lowest segment not SACKed: a lost retransmission with
///   nothing sent after it.
/// - RFC 6675 §5 stays for the sending: cwnd halves once per recovery, and
///   while cwnd exceeds pipe (what is neither SACKed nor lost) the lowest
///   lost segment goes again, else new data. PRR (RFC 6937) is not done.
/// - A recovery all of whose retransmissions come back as D-SACKs was
///   reordering: cwnd and ssthresh are restored (Linux's undo).
final class TCPControlBlock {
  /// RFC 9293 §3.7.1: assume 536 if the peer sends no MSS option.
  static let defaultSendMSS = 536
  /// The smallest MSS we send with, whatever the peer announces (Linux's
  /// tcp_min_snd_mss): an MSS of 1 would have us send a byte per segment,
  /// 40 bytes of headers each (CVE-2019-11479).
  static let minimumSendMSS = 48
  /// What we announce: an Ethernet MTU minus IPv4 and TCP headers.
  static let ourMSS =
    EthernetFrame.mtu - IPv4Packet.minimumHeaderLength - TCPSegment.minimumHeaderLength
  /// RFC 6298 §2.1 (1 s before the first sample). The floor is Linux's
  /// TCP_RTO_MIN, 200 ms, not §2.4's 1 s: 1 s stalls a connection for
  /// hundreds of round trips on every tail loss, and a 200 ms RTO still
  /// exceeds any delayed ACK (`ackDelay`, the peer's 200 ms at most).
  static let initialRTO: UInt64 = 1_000
  static let minimumRTO: UInt64 = 200
  static let maximumRTO: UInt64 = 60_000
  /// Consecutive timeouts before giving up (RFC 1122 §4.2.3.5 R2: at least
  /// 100 s, and 3 minutes for a SYN): from the 200 ms floor,
  /// 0.2+0.4+...+51.2+60+60 s = 222 s; a SYN's 1+2+...+64 s = 127 s.
  static let maximumRetransmissions = 10
  static let maximumSynRetransmissions = 7
  /// SYN-ACK retries of a half-open connection (1+2+4+8 s, then 16 s more for
  /// the last): a SYN flood's half-open entries go within 31 s, and when the
  /// SYN queue is full SYN cookies answer anyway.
  static let maximumSynAckRetransmissions = 4
  /// RFC 1122 §4.2.3.2: an ACK "MUST NOT be excessively delayed ... less than 0.5 seconds".
  static let ackDelay: UInt64 = 40
  /// RFC 9293 §3.4.1: MSL is 2 minutes "for engineering purposes"; like most
  /// stacks we use a shorter one so that TIME-WAIT lasts 60 s.
  static let maximumSegmentLifetime: UInt64 = 30_000

  let id: Int
  private(set) var state: TCPState
  let localAddress: IPv4Address
  let localPort: UInt16
  let remoteAddress: IPv4Address
  let remotePort: UInt16

  /// The listener that spawned this connection, until it is accepted.
  var listenerID: Int?
  /// The app called close (or never had the handle): free once CLOSED.
  var isReleased = false
  /// Whether the interface's TIME-WAIT queue holds this connection.
  var isQueuedForTimeWait = false
  /// Why the connection died (reset, timeout, refused).
  private(set) var error: NetError?

  // Listener.
  var backlog = 0
  /// A listener's: the buffer size of the connections it accepts (nil: the
  /// interface's `tcpBufferSize`).
  var childBufferSize: Int?
  /// Children not yet accepted (SYN-RECEIVED or later).
  var children: [Int] = []
  /// Children ready for `accept`, in order of establishment.
  var acceptQueue: [Int] = []

  // Send sequence space (RFC 9293 §3.3.1).
  private(set) var iss: UInt32
  private(set) var sndUna: UInt32
  private(set) var sndNxt: UInt32
  /// The highest sequence number sent (SND.NXT may go back on a timeout).
  private(set) var sndMax: UInt32
  /// SND.WND in bytes (already scaled).
  private(set) var sndWnd: UInt32 = 0
  private var sndWl1: UInt32 = 0
  private var sndWl2: UInt32 = 0
  /// Data not yet acknowledged, from sequence number `sendBufferStart`.
  private(set) var sendBuffer: ByteRing
  private var sendBufferStart: UInt32
  /// The sequence number of our FIN once the app closed.
  private(set) var finSequence: UInt32?

  // Receive sequence space.
  private(set) var irs: UInt32 = 0
  private(set) var rcvNxt: UInt32 = 0
  private(set) var receiveBuffer: ByteRing
  private var assembler = TCPAssembler()
  /// A FIN that arrived ahead of missing data.
  private var pendingFin: UInt32?
  private(set) var finReceived = false
  /// RCV.NXT + RCV.WND as last advertised.
  private var advertisedEdge: UInt32 = 0

  // Options.
  private(set) var sendMSS = TCPControlBlock.defaultSendMSS
  /// The peer's window shift (applied to windows it sends).
  private(set) var sendScale: UInt8 = 0
  /// Our window shift (applied to windows we send), if the peer agreed.
  private(set) var receiveScale: UInt8 = 0
  private let offeredScale: UInt8
  /// The peer's SYN carried a window scale option.
  private var scalingEnabled = false

  // Timers (absolute times, nil = stopped).
  private(set) var rto = TCPControlBlock.initialRTO
  private var smoothedRTT: UInt64 = 0
  private var rttVariance: UInt64 = 0
  private var hasRTTSample = false
  private var rttProbe: (end: UInt32, sentAt: UInt64)?
  private(set) var retransmitDeadline: UInt64?
  private var timeouts = 0
  private(set) var ackDeadline: UInt64?
  private var unacknowledgedSegments = 0
  private(set) var timeWaitDeadline: UInt64?

  // Congestion control (RFC 5681), in bytes.
  private(set) var congestionWindow = 0
  private var slowStartThreshold = Int.max
  private var duplicateAcks = 0
  /// RFC 6582 "recover" / RFC 6675 RecoveryPoint: in fast recovery until
  /// this is acknowledged.
  private var recoveryPoint: UInt32?
  /// RFC 3465 §2.1: bytes acknowledged in congestion avoidance, toward the
  /// next SMSS of window.
  private var bytesAckedInAvoidance = 0

  // SACK (RFC 2018) and its loss recovery (RFC 6675).
  /// Both SYNs carried SACK-Permitted.
  private(set) var sackEnabled = false
  private var scoreboard = TCPScoreboard()
  /// What is in flight, segment by segment, with send times (RFC 8985 §5.2).
  private var queue = TCPTransmissionQueue()
  /// The start of the out-of-order segment that arrived last: RFC 2018 §4,
  /// "The first SACK block ... MUST specify the contiguous block of data
  /// containing the segment which triggered this ACK".
  private var latestOutOfOrder: UInt32?
  /// A duplicate segment arrived: the next ACK reports it first (RFC 2883 §4).
  private var pendingDuplicate: TCPSackBlock?

  // RACK (RFC 8985 §6): the segment sent last of those delivered.
  private var rackSegment: TCPSentSegment?
  private var rackRTT: UInt64 = 0
  /// RACK.fack: the end of the highest segment delivered.
  private var rackHighestDelivered: UInt32 = 0
  /// RACK.min_RTT, over the connection's life.
  private var minimumRTT = UInt64.max
  /// RACK.reord: a segment sent once arrived after one above it, or a D-SACK came.
  private var reorderingSeen = false
  /// RACK.reo_wnd_mult, RACK.reo_wnd_persist and RACK.dsack_round (§6.2 step 4).
  private var reorderWindowMultiplier: UInt64 = 1
  private var reorderWindowPersist = 0
  private var duplicateSackRound: UInt32?
  static let reorderWindowPersistRecoveries = 16
  /// RACK's reordering timer (§6.3).
  private(set) var reorderDeadline: UInt64?

  // Tail loss probe (RFC 8985 §7).
  private(set) var probeDeadline: UInt64?
  /// The probe awaiting its ACK (TLP.end_seq and whether it resent data).
  private var probe: (start: UInt32, end: UInt32, retransmission: Bool, duplicated: Bool)?
  /// A probe went out in this recovery since SND.UNA last moved.
  private var probedInRecovery = false
  /// No probe sooner than this, whatever SRTT says.
  static let minimumProbeTimeout: UInt64 = 10

  // Undo (RFC 3708's D-SACK detection of spurious retransmissions, undone
  // as Linux does when every retransmission of a recovery proves spurious).
  /// cwnd and ssthresh before the last recovery; nil once it cannot be undone.
  private var undoState: (congestionWindow: Int, slowStartThreshold: Int)?
  /// That recovery's retransmissions no D-SACK has reported yet.
  private var undoRanges: [TCPSackBlock] = []
  private var undoRetransmissions = 0
  static let maximumUndoRanges = 64

  /// Counted since the interface last took them (`flush`).
  var counters = TCPCounters()

  /// Segments to send, oldest first.
  var outbox: [TCPOutgoing] = []

  /// A listener (no buffers).
  init(listenerID id: Int, address: IPv4Address, port: UInt16, backlog: Int) {
    self.id = id
    state = .listen
    localAddress = address
    localPort = port
    remoteAddress = .unspecified
    remotePort = 0
    self.backlog = backlog
    iss = 0
    sndUna = 0
    sndNxt = 0
    sndMax = 0
    sendBufferStart = 0
    sendBuffer = ByteRing(capacity: 0)
    receiveBuffer = ByteRing(capacity: 0)
    offeredScale = 0
  }

  /// A connection in CLOSED, about to `connect` or `acceptSyn`.
  init(
    id: Int, localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address,
    remotePort: UInt16, iss: UInt32, bufferSize: Int, memory: NetMemory? = nil
  ) {
    self.id = id
    state = .closed
    self.localAddress = localAddress
    self.localPort = localPort
    self.remoteAddress = remoteAddress
    self.remotePort = remotePort
    self.iss = iss
    sndUna = iss
    sndNxt = iss
    sndMax = iss
    sendBufferStart = iss &+ 1
    rackHighestDelivered = iss
    sendBuffer = ByteRing(capacity: bufferSize, memory: memory, yieldsHalfTheBudget: true)
    receiveBuffer = ByteRing(capacity: bufferSize, memory: memory)
    // RFC 7323 §2.3: the smallest shift that lets the window cover the buffer.
    var scale: UInt8 = 0
    while scale < TCPSegment.maximumWindowScale && bufferSize >> Int(scale) > 0xffff {
      scale += 1
    }
    offeredScale = scale
  }

  // MARK: Opening

  /// Active open: send SYN (RFC 9293 §3.10.1).
  func connect(now: UInt64) {
    state = .synSent
    congestionWindow = initialWindow
    sendSyn(ack: false, now: now)
  }

  /// Passive open: a SYN reached our listener; answer SYN-ACK (§3.10.7.2).
  func acceptSyn(_ segment: TCPIncoming, now: UInt64) {
    state = .synReceived
    irs = segment.sequenceNumber
    rcvNxt = irs &+ 1
    applySynOptions(segment)
    sndWnd = UInt32(segment.window)  // §2.2 of RFC 7323: never scaled in a SYN
    sndWl1 = segment.sequenceNumber
    sndWl2 = segment.acknowledgmentNumber
    congestionWindow = initialWindow
    sendSyn(ack: true, now: now)
  }

  /// Passive open completed by a SYN cookie (NetworkInterface+SynCookie):
  /// SYN-RECEIVED as if our SYN-ACK (ISS = the cookie) had gone out without
  /// window scaling; the ACK carrying the cookie is to be processed next.
  func acceptCookie(peerISN: UInt32, maximumSegmentSize: Int) {
    state = .synReceived
    irs = peerISN
    rcvNxt = irs &+ 1
    sendMSS = min(maximumSegmentSize, TCPControlBlock.ourMSS)
    congestionWindow = initialWindow
    sndNxt = iss &+ 1
    sndMax = sndNxt
    advertisedEdge = rcvNxt &+ UInt32(advertisedWindowBytes)
  }

  private func applySynOptions(_ segment: TCPIncoming) {
    if let mss = segment.maximumSegmentSize, mss > 0 {
      sendMSS = min(max(Int(mss), TCPControlBlock.minimumSendMSS), TCPControlBlock.ourMSS)
    }
    // RFC 7323 §2.2: scaling is on only if both SYNs carry the option.
    scalingEnabled = segment.windowScale != nil
    sendScale = segment.windowScale ?? 0
    receiveScale = scalingEnabled ? offeredScale : 0
    // RFC 2018 §2: SACK only if both SYNs carry SACK-Permitted (a SYN-ACK
    // carries it only if our SYN offered it).
    sackEnabled = segment.sackPermitted
  }

  /// RFC 6928 §2: IW = min(10 * MSS, max(2 * MSS, 14600)); SMSS is not
  /// known before the SYN exchange, so this is recomputed then.
  private var initialWindow: Int { min(10 * sendMSS, max(2 * sendMSS, 14600)) }

  private func sendSyn(ack: Bool, now: UInt64) {
    var header = makeHeader(flags: ack ? [.syn, .ack] : [.syn], sequenceNumber: iss)
    header.maximumSegmentSize = UInt16(TCPControlBlock.ourMSS)
    // RFC 7323 §2.2: offer scaling on an active open; answer with it only
    // if the peer's SYN offered it.
    if !ack || scalingEnabled {
      header.windowScale = offeredScale
    }
    header.sackPermitted = !ack || sackEnabled
    if sndMax != iss { counters.segmentsRetransmitted += 1 }
    if !ack { header.acknowledgmentNumber = 0 }
    header.window = UInt16(min(receiveBuffer.freeSpace, 0xffff))
    // The window a SYN-ACK offers is one the peer knows of: the app's first
    // read must not look like a grown window and cost a bare ACK right before
    // the answer that carries the same acknowledgment.
    if ack { advertisedEdge = rcvNxt &+ UInt32(header.window) }
    outbox.append(TCPOutgoing(header: header, payload: []))
    sndNxt = iss &+ 1
    if TCPSeq.gt(sndNxt, sndMax) { sndMax = sndNxt }
    if retransmitDeadline == nil { retransmitDeadline = now + rto }
    if rttProbe == nil && timeouts == 0 { rttProbe = (end: sndNxt, sentAt: now) }
    ackDeadline = nil
  }

  // MARK: App calls

  /// Queues bytes to send; returns how many fit.
  /// With `thenClose`, when all of `bytes` fit in an established connection,
  /// half-closes too: the FIN rides on the last data segment.
  func send(_ bytes: UnsafeRawBufferPointer, now: UInt64, thenClose: Bool = false) -> Int {
    let accepted = sendBuffer.append(bytes)
    if thenClose && accepted == bytes.count && (state == .established || state == .closeWait) {
      close(now: now)
    } else if state.isSynchronized {
      transmit(now: now)
    }
    return accepted
  }

  /// Copies received bytes out; may send a window update.
  func receive(into buffer: UnsafeMutableRawBufferPointer, now: UInt64) -> Int {
    let count = receiveBuffer.read(into: buffer)
    // Read dry with no hole being filled: the memory goes back.
    if receiveBuffer.isEmpty && assembler.isEmpty { receiveBuffer.releaseIfEmpty() }
    if count > 0 && state.isSynchronized && state != .timeWait {
      // RFC 1122 §4.2.3.3: update the window when it grew by min(half the
      // buffer, 2 MSS) — receiver-side silly window syndrome avoidance.
      let edge = rcvNxt &+ UInt32(advertisedWindowBytes)
      let growth = TCPSeq.distance(from: advertisedEdge, to: edge)
      if growth >= min(receiveBuffer.capacity / 2, 2 * TCPControlBlock.ourMSS) {
        sendAck(now: now)
      }
    }
    return count
  }

  /// Half-closes: FIN after the queued data (RFC 9293 §3.10.4).
  func close(now: UInt64) {
    switch state {
    case .synReceived, .established:
      finSequence = sendBufferStart &+ UInt32(sendBuffer.count)
      state = .finWait1
      transmit(now: now)
    case .closeWait:
      finSequence = sendBufferStart &+ UInt32(sendBuffer.count)
      state = .lastAck
      transmit(now: now)
    case .synSent, .listen:
      enterClosed()
    default:
      break
    }
  }

  /// Resets a synchronized connection (RFC 9293 §3.10.5) and closes it.
  func abort() {
    if state.isSynchronized && state != .timeWait {
      var header = makeHeader(flags: [.rst], sequenceNumber: sndMax)
      header.acknowledgmentNumber = 0
      header.window = 0
      outbox.append(TCPOutgoing(header: header, payload: []))
    }
    enterClosed()
  }

  // MARK: Segment arrival (RFC 9293 §3.10.7)

  /// A segment for this connection (not a listener). May queue replies.
  func process(_ segment: TCPIncoming, now: UInt64) {
    switch state {
    case .closed, .listen:
      return
    case .synSent:
      return processInSynSent(segment, now: now)
    default:
      break
    }
    // First: the sequence number (acceptability test of §3.10.7.4).
    guard isAcceptable(segment) else {
      if !segment.flags.contains(.rst) {
        if state == .timeWait && segment.flags.contains(.fin) {
          timeWaitDeadline = now + 2 * TCPControlBlock.maximumSegmentLifetime
        }
        noteDuplicate(segment)
        sendAck(now: now)
      }
      return
    }
    // Second: RST. RFC 5961 §3.2: reset only if it is exactly RCV.NXT,
    // otherwise answer with a challenge ACK.
    if segment.flags.contains(.rst) {
      guard segment.sequenceNumber == rcvNxt else { return sendChallengeAck(now: now) }
      switch state {
      case .synReceived:
        // From a passive open: back to LISTEN, i.e. this child goes away.
        fail(.connectionRefused)
      case .established, .finWait1, .finWait2, .closeWait:
        fail(.connectionReset)
      default:
        enterClosed()
      }
      return
    }
    // Fourth: SYN in a synchronized state. RFC 5961 §4: challenge ACK.
    if segment.flags.contains(.syn) {
      return sendChallengeAck(now: now)
    }
    // Fifth: ACK.
    guard segment.flags.contains(.ack) else { return }
    if state == .synReceived {
      // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED ...
      // If the segment acknowledgment is not acceptable, form a reset segment
      // <SEQ=SEG.ACK><CTL=RST> and send it."
      guard TCPSeq.lt(sndUna, segment.acknowledgmentNumber),
        TCPSeq.le(segment.acknowledgmentNumber, sndMax)
      else {
        return sendReset(sequenceNumber: segment.acknowledgmentNumber)
      }
      state = .established
      sndWnd = UInt32(segment.window) << UInt32(sendScale)
      sndWl1 = segment.sequenceNumber
      sndWl2 = segment.acknowledgmentNumber
    }
    // RFC 5961 §5.2: unless "(SND.UNA - MAX.SND.WND) =< SEG.ACK", discard
    // the segment and ACK (a challenge ACK): blind data injection has to
    // guess the acknowledgment too. MAX.SND.WND is taken as the largest
    // window the peer's scale can say.
    if TCPSeq.lt(segment.acknowledgmentNumber, sndUna &- (UInt32(0xffff) << UInt32(sendScale))) {
      return sendChallengeAck(now: now)
    }
    guard processAck(segment, now: now) else { return }
    if state == .closed || state == .timeWait { return }
    // Seventh: segment text, eighth: FIN.
    processData(segment, now: now)
    transmit(now: now)
  }

  /// §3.10.7.3.
  private func processInSynSent(_ segment: TCPIncoming, now: UInt64) {
    let flags = segment.flags
    var ackAcceptable = false
    if flags.contains(.ack) {
      // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the
      // RST bit is set, if so drop the segment and return)."
      guard TCPSeq.gt(segment.acknowledgmentNumber, iss),
        TCPSeq.le(segment.acknowledgmentNumber, sndMax)
      else {
        if !flags.contains(.rst) { sendReset(sequenceNumber: segment.acknowledgmentNumber) }
        return
      }
      ackAcceptable = true
    }
    if flags.contains(.rst) {
      // "If the ACK was acceptable, then signal to the user 'error:
      // connection reset', drop the segment, enter CLOSED state."
      if ackAcceptable { fail(.connectionRefused) }
      return
    }
    guard flags.contains(.syn) else { return }
    irs = segment.sequenceNumber
    rcvNxt = irs &+ 1
    applySynOptions(segment)
    congestionWindow = initialWindow
    if ackAcceptable {
      acknowledge(upTo: segment.acknowledgmentNumber, now: now)
      state = .established
      sndWnd = UInt32(segment.window) << UInt32(sendScale)
      sndWl1 = segment.sequenceNumber
      sndWl2 = segment.acknowledgmentNumber
      sendAck(now: now)
      transmit(now: now)
    } else {
      // Simultaneous open: SYN-ACK with our original ISS.
      state = .synReceived
      sndWnd = UInt32(segment.window)
      sendSyn(ack: true, now: now)
    }
  }

  /// §3.10.7.4 "first check sequence number": a segment is acceptable if
  /// any of it falls in the receive window (zero-length: at RCV.NXT).
  private func isAcceptable(_ segment: TCPIncoming) -> Bool {
    let window = UInt32(receiveWindowBytes)
    let sequence = segment.sequenceNumber
    let length = segment.length
    func inWindow(_ value: UInt32) -> Bool {
      TCPSeq.le(rcvNxt, value) && TCPSeq.lt(value, rcvNxt &+ window)
    }
    if length == 0 {
      return window == 0 ? sequence == rcvNxt : inWindow(sequence)
    }
    if window == 0 {
      // Still process ACKs and FIN/RST at RCV.NXT of an otherwise full window.
      return sequence == rcvNxt
    }
    return inWindow(sequence) || inWindow(sequence &+ UInt32(length - 1))
  }

  /// §3.10.7.4 "fifth, check the ACK field". False if processing stops.
  private func processAck(_ segment: TCPIncoming, now: UInt64) -> Bool {
    let ack = segment.acknowledgmentNumber
    // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send
    // an ACK, drop the segment, and return."
    if TCPSeq.gt(ack, sndMax) {
      sendAck(now: now)
      return false
    }
    let window = UInt32(segment.window) << UInt32(sendScale)
    // RFC 9293 §3.8.6.1: while the peer keeps answering zero-window probes,
    // the connection stays open however long it takes.
    if window == 0 { timeouts = 0 }
    // RFC 6675 §5: the scoreboard first, so that what follows sees this ACK's blocks.
    var newlySacked = false
    var duplicate: TCPSackBlock?
    if sackEnabled && !segment.sackBlocks.isEmpty {
      duplicate = duplicateSackBlock(segment.sackBlocks, ack: ack)
      newlySacked = scoreboard.add(
        segment.sackBlocks, una: TCPSeq.gt(ack, sndUna) ? ack : sndUna, highData: sndMax)
    }
    let advanced = TCPSeq.gt(ack, sndUna)
    if sackEnabled && (advanced || newlySacked) { updateRACK(ack: ack, now: now) }
    if let duplicate { receivedDuplicateSack(duplicate) }
    if advanced {
      acknowledge(upTo: ack, now: now)
    } else if ack == sndUna && sndMax != sndUna {
      // RFC 5681 §2's duplicate ACK carries no data and the same window. With
      // SACK, an ACK that SACKs new data says as much, data or window update
      // or not (a bidirectional transfer's ACKs carry data), and a copy the
      // network made of an earlier ACK does not (as in Linux, which counts
      // SACKed segments, not duplicate ACKs, once SACK is on).
      let isDuplicate =
        sackEnabled
        ? newlySacked
        : segment.payload.isEmpty && !segment.flags.contains(.syn)
          && !segment.flags.contains(.fin) && window == sndWnd
      if isDuplicate { duplicateAck(now: now) }
    }
    if sackEnabled {
      probeAcknowledged(ack, advanced: advanced, newlySacked: newlySacked)
      if sndUna != sndMax && (advanced || newlySacked) { detectLosses(now: now) }
      if advanced { scheduleProbe(now: now) }
    }
    // "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK),
    // set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
    if TCPSeq.le(sndUna, ack)
      && (TCPSeq.lt(sndWl1, segment.sequenceNumber)
        || (sndWl1 == segment.sequenceNumber && TCPSeq.le(sndWl2, ack)))
    {
      let opened = sndWnd == 0 && window > 0
      sndWnd = window
      sndWl1 = segment.sequenceNumber
      sndWl2 = ack
      if opened && sndUna == sndMax {
        // A window probe is no longer needed.
        retransmitDeadline = nil
        timeouts = 0
      }
    }
    let finAcknowledged = finSequence.map { TCPSeq.gt(sndUna, $0) } ?? false
    switch state {
    case .finWait1 where finAcknowledged:
      state = .finWait2
    case .closing where finAcknowledged:
      enterTimeWait(now: now)
      return false
    case .lastAck where finAcknowledged:
      enterClosed()
      return false
    case .timeWait:
      return true
    default:
      break
    }
    return true
  }

  /// SND.UNA advances to `ack`: drop acknowledged data, take an RTT sample,
  /// grow the congestion window, restart the retransmission timer.
  private func acknowledge(upTo ack: UInt32, now: UInt64) {
    let acked = TCPSeq.distance(from: sndUna, to: ack)
    // RFC 6298 §3 (Karn): time only segments sent once.
    if let probe = rttProbe, TCPSeq.ge(ack, probe.end) {
      sample(now - probe.sentAt)
      rttProbe = nil
    }
    let dataAcked = max(0, min(TCPSeq.distance(from: sendBufferStart, to: ack), sendBuffer.count))
    sendBuffer.discard(dataAcked)
    if sendBuffer.isEmpty { sendBuffer.releaseIfEmpty() }
    sendBufferStart = sendBufferStart &+ UInt32(dataAcked)
    sndUna = ack
    if TCPSeq.lt(sndNxt, sndUna) { sndNxt = sndUna }
    scoreboard.advance(to: ack)
    queue.advance(to: ack)
    probedInRecovery = false
    timeouts = 0
    if let recover = recoveryPoint {
      if TCPSeq.ge(ack, recover) {
        // RFC 6675 §5 step (A) ends recovery with cwnd at ssthresh, as it
        // entered; RFC 6582 §3.2 step 3 deflates the NewReno window.
        congestionWindow =
          sackEnabled ? slowStartThreshold : min(slowStartThreshold, flightSize + sendMSS)
        recoveryPoint = nil
        queue.clearLost()
        // RFC 8985 §6.2 step 4: a widened reordering window lasts 16 recoveries.
        if reorderWindowPersist > 0 {
          reorderWindowPersist -= 1
          if reorderWindowPersist == 0 { reorderWindowMultiplier = 1 }
        }
      } else if !sackEnabled {
        // RFC 6582 §3.2 step 5, partial acknowledgment: retransmit the next
        // hole, deflate. (With SACK, `transmit` fills holes as pipe allows.)
        counters.fastRetransmits += 1
        retransmit(from: sndUna, length: sendMSS, now: now)
        congestionWindow = max(congestionWindow - acked + sendMSS, sendMSS)
      }
    } else {
      growCongestionWindow(acknowledged: acked)
    }
    duplicateAcks = 0
    // RFC 6298 §5.2/5.3: stop when all is acknowledged, else restart.
    retransmitDeadline = sndUna == sndMax ? nil : now + rto
    if sndUna == sndMax {
      probeDeadline = nil
      reorderDeadline = nil
    }
  }

  /// RFC 5681 §3.1 with appropriate byte counting: slow start grows by
  /// the bytes acknowledged up to L = 2 SMSS per ACK (RFC 3465 §2.3),
  /// congestion avoidance by one SMSS per window's worth of bytes acknowledged
  /// (§2.1), so delayed and stretched ACKs grow the window as much as
  /// per-segment ones.
  private func growCongestionWindow(acknowledged: Int) {
    if congestionWindow < slowStartThreshold {
      congestionWindow += min(acknowledged, 2 * sendMSS)
      return
    }
    bytesAckedInAvoidance += acknowledged
    if bytesAckedInAvoidance >= congestionWindow {
      bytesAckedInAvoidance -= congestionWindow
      congestionWindow += sendMSS
    }
  }

  /// A duplicate ACK (with SACK: one that SACKs new data). The first two
  /// allow a new segment each (RFC 3042, `limitedTransmitAllowance`); without
  /// SACK the third retransmits (RFC 5681 §3.2, RFC 6582); with SACK,
  /// `processAck` decides on recovery from the scoreboard.
  private func duplicateAck(now: UInt64) {
    duplicateAcks += 1
    if recoveryPoint != nil {
      // RFC 6582 §3.2 step 4: inflate for each segment that left the network.
      if !sackEnabled { congestionWindow += sendMSS }
      return
    }
    guard !sackEnabled, duplicateAcks == TCPScoreboard.duplicateThreshold else { return }
    slowStartThreshold = max(flightSize / 2, 2 * sendMSS)
    recoveryPoint = sndMax
    counters.recoveries += 1
    counters.fastRetransmits += 1
    retransmit(from: sndUna, length: sendMSS, now: now)
    congestionWindow = slowStartThreshold + 3 * sendMSS
  }

  /// RFC 6675 §5 steps 4.1-4.3 with RACK's losses: halve, and retransmit the
  /// first segment presumed lost. `transmit` then sends what pipe allows
  /// (step C). cwnd and ssthresh are kept for an undo.
  private func enterSACKRecovery(now: UInt64) {
    undoState = (congestionWindow, slowStartThreshold)
    undoRanges.removeAll(keepingCapacity: true)
    undoRetransmissions = 0
    recoveryPoint = sndMax
    slowStartThreshold = max(flightSize / 2, 2 * sendMSS)
    congestionWindow = slowStartThreshold
    bytesAckedInAvoidance = 0
    probe = nil
    probeDeadline = nil
    counters.recoveries += 1
    if let lost = queue.firstLost {
      counters.fastRetransmits += 1
      retransmit(from: lost.start, length: min(lost.length, sendMSS), now: now)
    }
  }

  /// RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, send NextSeg: the
  /// lowest segment presumed lost (rule 1), else new data (rule 2).
  private func transmitInRecovery(now: UInt64) {
    while congestionWindow - queue.pipe >= sendMSS {
      if let lost = queue.firstLost {
        counters.fastRetransmits += 1
        guard retransmit(from: lost.start, length: min(lost.length, sendMSS), now: now) else {
          return
        }
      } else if !emitSegment(maximumPayload: sendMSS, ignoreWindow: false, now: now) {
        return
      }
    }
  }

  // MARK: Loss detection (RACK-TLP, RFC 8985) and undo (RFC 2883, RFC 3708)

  /// RFC 8985 §6.2 steps 1-3: of what this ACK delivered, the segment sent
  /// last becomes RACK's reference; one sent once arriving below the highest
  /// delivered shows reordering.
  private func updateRACK(ack: UInt32, now: UInt64) {
    let delivery = queue.deliver(
      una: ack, sacked: scoreboard.ranges, now: now,
      minimumRTT: minimumRTT == .max ? 0 : minimumRTT, highestDelivered: rackHighestDelivered)
    if delivery.reordered { reorderingSeen = true }
    if let latest = delivery.latest {
      let rtt = now - min(latest.sentAt, now)
      if !latest.retransmitted { minimumRTT = min(minimumRTT, rtt) }
      if rackSegment.map({ latest.wasSent(after: $0) }) ?? true {
        rackSegment = latest
        rackRTT = rtt
      }
    }
    var highest = ack
    if let sacked = scoreboard.highestSacked, TCPSeq.gt(sacked, highest) { highest = sacked }
    if TCPSeq.gt(highest, rackHighestDelivered) { rackHighestDelivered = highest }
  }

  /// RFC 8985 §6.2 step 4, RACK.reo_wnd: none while no reordering was seen
  /// and a recovery is under way or DupThresh segments are SACKed (loss is
  /// then as likely as RFC 6675 says), else a quarter of the minimum RTT,
  /// times the D-SACK multiplier, at most SRTT.
  private var reorderWindow: UInt64 {
    if !reorderingSeen
      && (recoveryPoint != nil || queue.sackedCount >= TCPScoreboard.duplicateThreshold)
    {
      return 0
    }
    guard minimumRTT != .max else { return 0 }
    // The clock ticks in milliseconds: below a 4 ms RTT the quarter is taken
    // as 1 ms, or D-SACKs could never widen it. On a sub-millisecond path
    // the SRTT cap keeps it at 1 ms: reordering longer than that costs a
    // spurious retransmission, which undo reverts, where a wider window
    // would delay every loss's repair by several round trips.
    let quarter = max(minimumRTT / 4, 1)
    return min(reorderWindowMultiplier * quarter, max(smoothedRTT, 1))
  }

  /// RFC 8985 §6.2 step 5 and §6.3: marks lost each segment sent before the
  /// RACK segment that is overdue by RACK.rtt plus the reordering window,
  /// arms the reordering timer for the rest, and starts a recovery.
  private func detectLosses(now: UInt64) {
    guard let rackSegment else { return }
    // With a 1 ms clock, a segment sent in the same millisecond as the RACK
    // segment looks as old as it: once reordering was seen, it is given one
    // more millisecond before it counts as late.
    let slack: UInt64 = reorderingSeen ? 1 : 0
    let result = queue.markLost(
      sentBefore: rackSegment, window: rackRTT + reorderWindow + slack, now: now)
    reorderDeadline = result.deadline
    guard queue.hasLost else { return }
    probeDeadline = nil
    if recoveryPoint == nil && sndNxt == sndMax { enterSACKRecovery(now: now) }
  }

  /// RFC 2883 §4: the first block is a D-SACK if it lies below the
  /// cumulative ACK or within the second block.
  private func duplicateSackBlock(_ blocks: [TCPSackBlock], ack: UInt32) -> TCPSackBlock? {
    let first = blocks[0]
    guard TCPSeq.lt(first.start, first.end), TCPSeq.le(first.end, sndMax) else { return nil }
    if TCPSeq.le(first.end, ack) { return first }
    if blocks.count > 1, TCPSeq.le(blocks[1].start, first.start),
      TCPSeq.le(first.end, blocks[1].end)
    {
      return first
    }
    return nil
  }

  /// A D-SACK arrived. RFC 3708 §3: a retransmission it reports was
  /// spurious; once every retransmission of the last recovery was, that
  /// recovery's reduction is undone. RFC 8985 §6.2 step 4: the reordering
  /// window widens, once a round trip, for a D-SACK of a retransmission or
  /// probe only (as Linux counts them): the network's own duplicates say
  /// nothing about reordering. A probe it reports repaired nothing.
  private func receivedDuplicateSack(_ block: TCPSackBlock) {
    var spurious = false
    if var probe, probe.retransmission,
      TCPSeq.lt(block.start, probe.end) && TCPSeq.lt(probe.start, block.end)
    {
      probe.duplicated = true
      self.probe = probe
      spurious = true
    }
    var index = 0
    var matched = 0
    while index < undoRanges.count {
      let range = undoRanges[index]
      if TCPSeq.lt(block.start, range.end) && TCPSeq.lt(range.start, block.end) {
        undoRanges.remove(at: index)
        matched += 1
      } else {
        index += 1
      }
    }
    counters.spuriousRetransmissions += matched
    if matched > 0 { spurious = true }
    if spurious {
      reorderingSeen = true
      if let round = duplicateSackRound, TCPSeq.ge(sndUna, round) { duplicateSackRound = nil }
      if duplicateSackRound == nil {
        duplicateSackRound = sndMax
        reorderWindowMultiplier = min(reorderWindowMultiplier + 1, 32)
        reorderWindowPersist = TCPControlBlock.reorderWindowPersistRecoveries
      }
    }
    if matched > 0 && undoState != nil && undoRanges.isEmpty && undoRetransmissions > 0 {
      undoRecovery()
    }
  }

  /// Restores cwnd and ssthresh from before the recovery (RFC 3708 §3.1's
  /// response, as Linux's undo), ending it if still under way.
  private func undoRecovery() {
    guard let saved = undoState else { return }
    undoState = nil
    congestionWindow = max(congestionWindow, saved.congestionWindow)
    slowStartThreshold = max(slowStartThreshold, saved.slowStartThreshold)
    counters.recoveriesUndone += 1
    if recoveryPoint != nil {
      recoveryPoint = nil
      queue.clearLost()
    }
  }

  /// RFC 8985 §7.2: arms the probe timeout, PTO = 2·SRTT, plus the peer's
  /// delayed ACK when one segment is in flight, if it comes before the RTO.
  /// Outside a recovery one probe at a time (until its ACK, §7.4). In a
  /// recovery, where RFC 8985 sends none, one per advance of SND.UNA while
  /// nothing is marked lost: a retransmission lost with nothing sent after
  /// it gives RACK nothing to compare with and would wait for the RTO.
  private func scheduleProbe(now: UInt64) {
    probeDeadline = nil
    guard sackEnabled, hasRTTSample, state.isSynchronized, state != .synReceived,
      state != .timeWait, sndNxt == sndMax, sndUna != sndMax, reorderDeadline == nil,
      !queue.hasLost
    else { return }
    if recoveryPoint == nil {
      guard probe == nil else { return }
    } else {
      guard !probedInRecovery else { return }
    }
    let timeout = max(
      2 * smoothedRTT + (flightSize <= sendMSS ? TCPControlBlock.ackDelay : 2),
      TCPControlBlock.minimumProbeTimeout)
    guard let retransmitAt = retransmitDeadline, now + timeout < retransmitAt else { return }
    probeDeadline = now + timeout
  }

  /// RFC 8985 §7.3: the PTO fired. Sends one new segment if the peer's
  /// window allows (cwnd does not bind a probe), else the last segment
  /// again; in a recovery, the lowest segment not SACKed. The ACK it draws
  /// lets RACK see what is missing. The RTO restarts.
  private func probeTimeout(now: UInt64) {
    probeDeadline = nil
    guard sackEnabled, state.isSynchronized, state != .synReceived, state != .timeWait,
      sndNxt == sndMax, sndUna != sndMax
    else { return }
    if recoveryPoint != nil {
      guard !probedInRecovery, let target = queue.firstUnsacked else { return }
      probedInRecovery = true
      counters.tailLossProbes += 1
      retransmit(from: target.start, length: min(target.length, sendMSS), now: now)
    } else {
      guard probe == nil else { return }
      let start = sndMax
      let newData = min(unsentCount, sendMSS)
      if newData > 0 && flightSize + newData <= Int(sndWnd)
        && emitSegment(maximumPayload: sendMSS, ignoreWindow: true, now: now)
      {
        probe = (start: start, end: sndMax, retransmission: false, duplicated: false)
      } else if let last = queue.segments.last {
        let first = last.length > sendMSS ? last.end &- UInt32(sendMSS) : last.start
        guard retransmit(from: first, length: TCPSeq.distance(from: first, to: last.end), now: now)
        else { return }
        probe = (start: first, end: sndMax, retransmission: true, duplicated: false)
      } else {
        return
      }
      counters.tailLossProbes += 1
    }
    retransmitDeadline = now + rto
  }

  /// RFC 8985 §7.4, decided as Linux's tcp_process_tlp_ack: an ACK at or
  /// past the probe ends its episode. A probe of new data, or one a D-SACK
  /// reported (the original arrived too), repaired nothing; a retransmitted
  /// probe followed by an ACK for later data without a D-SACK repaired a
  /// loss, and cwnd is reduced as a fast recovery would (§7.4.2).
  private func probeAcknowledged(_ ack: UInt32, advanced: Bool, newlySacked: Bool) {
    guard let probe, TCPSeq.ge(ack, probe.end) else { return }
    if !probe.retransmission || probe.duplicated {
      self.probe = nil
    } else if TCPSeq.gt(ack, probe.end) {
      self.probe = nil
      slowStartThreshold = max(congestionWindow / 2, 2 * sendMSS)
      congestionWindow = slowStartThreshold
      bytesAckedInAvoidance = 0
    } else if !advanced && !newlySacked {
      self.probe = nil
    }
  }

  /// A segment whose data lies (partly) below RCV.NXT: RFC 2883 §4 (1), the
  /// next ACK reports the duplicate part in a D-SACK block.
  private func noteDuplicate(_ segment: TCPIncoming) {
    guard sackEnabled, !segment.payload.isEmpty, TCPSeq.lt(segment.sequenceNumber, rcvNxt)
    else { return }
    let end = segment.sequenceNumber &+ UInt32(segment.payload.count)
    pendingDuplicate = TCPSackBlock(
      start: segment.sequenceNumber, end: TCPSeq.lt(end, rcvNxt) ? end : rcvNxt)
  }

  /// Resends up to `length` bytes from `sequence` without moving SND.NXT;
  /// in a SACK recovery, HighRxt follows.
  @discardableResult
  private func retransmit(from sequence: UInt32, length: Int, now: UInt64) -> Bool {
    rttProbe = nil
    let saved = sndNxt
    sndNxt = sequence
    let sent = emitSegment(maximumPayload: length, ignoreWindow: true, now: now)
    if sent && undoState != nil && recoveryPoint != nil {
      undoRetransmissions += 1
      if undoRanges.count < TCPControlBlock.maximumUndoRanges {
        undoRanges.append(TCPSackBlock(start: sequence, end: sndNxt))
      } else {
        undoState = nil  // too many to tell whether all were spurious
      }
    }
    if TCPSeq.gt(saved, sndNxt) { sndNxt = saved }
    return sent
  }

  /// §3.10.7.4 "seventh, process the segment text" and "eighth, check the FIN bit".
  private func processData(_ segment: TCPIncoming, now: UInt64) {
    guard state == .established || state == .finWait1 || state == .finWait2 else {
      if segment.flags.contains(.fin) || !segment.payload.isEmpty { sendAck(now: now) }
      return
    }
    var payload = segment.payload
    var sequence = segment.sequenceNumber
    noteDuplicate(segment)
    // Trim what we already have, then what does not fit the window.
    let duplicate = TCPSeq.distance(from: sequence, to: rcvNxt)
    if duplicate > 0 {
      payload = payload.netSlice(min(duplicate, payload.count)..<payload.count)
      sequence = rcvNxt
    }
    let offset = TCPSeq.distance(from: rcvNxt, to: sequence)
    let room = receiveWindowBytes - offset
    var finSequence: UInt32?
    if segment.flags.contains(.fin) {
      finSequence = segment.sequenceNumber &+ UInt32(segment.payload.count)
    }
    if payload.count > room {
      payload = payload.netSlice(0..<max(room, 0))
      finSequence = nil  // the FIN lies beyond the window
    }
    var outOfOrder = false
    if !payload.isEmpty, !receiveBuffer.write(payload, atOffset: offset) {
      // No memory for it (NetMemory's budget or the heap): as if the segment
      // was lost; the duplicate ACK tells the peer what is missing.
      finSequence = nil
      outOfOrder = true
    } else if !payload.isEmpty {
      if offset == 0 {
        let hadHoles = !assembler.isEmpty
        let advance = assembler.advance(by: payload.count)
        receiveBuffer.commit(advance)
        rcvNxt = rcvNxt &+ UInt32(advance)
        // RFC 5681 §4.2: ACK at once when a segment fills a hole.
        outOfOrder = hadHoles
      } else {
        if sackEnabled && assembler.contains(offset..<offset + payload.count) {
          pendingDuplicate = TCPSackBlock(
            start: sequence, end: sequence &+ UInt32(payload.count))
        }
        if assembler.add(offset..<offset + payload.count) { latestOutOfOrder = sequence }
        outOfOrder = true
      }
    } else if !segment.payload.isEmpty {
      // Data we already had (a retransmission), or none of it fits the
      // window (a zero-window probe): ACK at once so the peer learns
      // RCV.NXT and the window (RFC 9293 §3.8.6.1).
      outOfOrder = true
    }
    if let finSequence { pendingFin = finSequence }
    if let fin = pendingFin, fin == rcvNxt {
      pendingFin = nil
      rcvNxt = rcvNxt &+ 1
      finReceived = true
      switch state {
      case .established: state = .closeWait
      case .finWait1:
        // Our FIN not yet acknowledged: simultaneous close.
        state = .closing
      case .finWait2:
        enterTimeWait(now: now)
      default: break
      }
      sendAck(now: now)
      return
    }
    if outOfOrder {
      sendAck(now: now)
    } else if !payload.isEmpty {
      // RFC 5681 §4.2: "an ACK SHOULD be generated for at least every
      // second full-sized segment", otherwise after a short delay.
      unacknowledgedSegments += 1
      if unacknowledgedSegments >= 2 {
        sendAck(now: now)
      } else if ackDeadline == nil {
        ackDeadline = now + TCPControlBlock.ackDelay
      }
    }
  }

  // MARK: Output

  /// Sends new data (and FIN) as windows allow.
  func transmit(now: UInt64) {
    guard state.isSynchronized, state != .synReceived, state != .timeWait else { return }
    let highest = sndMax
    if sackEnabled && recoveryPoint != nil {
      transmitInRecovery(now: now)
    } else {
      while emitSegment(maximumPayload: sendMSS, ignoreWindow: false, now: now) {}
    }
    // RFC 8985 §7.2: (re)start the PTO after sending new data.
    if sndMax != highest { scheduleProbe(now: now) }
    // A zero window with data waiting: probe on the retransmission timer.
    if retransmitDeadline == nil && sndWnd == 0 && unsentCount > 0 {
      retransmitDeadline = now + rto
    }
  }

  /// Bytes in flight (sequence space sent and not acknowledged).
  private var flightSize: Int { TCPSeq.distance(from: sndUna, to: sndMax) }

  /// Buffered bytes at or after SND.NXT.
  private var unsentCount: Int {
    max(0, sendBuffer.count - TCPSeq.distance(from: sendBufferStart, to: sndNxt))
  }

  /// Sends one segment from SND.NXT; false if nothing could be sent.
  @discardableResult
  private func emitSegment(maximumPayload: Int, ignoreWindow: Bool, now: UInt64) -> Bool {
    if state == .synSent || state == .synReceived {
      guard ignoreWindow, sndNxt == sndUna else { return false }
      sendSyn(ack: state == .synReceived, now: now)
      return true
    }
    let sackBlocks = sackBlocksToSend
    // RFC 6691: the MSS counts no options, so SACK blocks take payload room.
    let segmentRoom = sendMSS - (sackBlocks.isEmpty ? 0 : 4 + 8 * sackBlocks.count)
    let offset = max(0, TCPSeq.distance(from: sendBufferStart, to: sndNxt))
    let unsent = max(0, sendBuffer.count - offset)
    let inFlight = TCPSeq.distance(from: sndUna, to: sndNxt)
    // In a SACK recovery the caller checked cwnd against pipe (RFC 6675 §5).
    let congestionLimit =
      sackEnabled && recoveryPoint != nil
      ? UInt64(UInt32.max) : UInt64(max(congestionWindow, sendMSS) + limitedTransmitAllowance)
    let window = Int(min(UInt64(sndWnd), congestionLimit))
    var allowed = max(0, window - inFlight)
    if ignoreWindow { allowed = max(allowed, maximumPayload) }
    let length = min(unsent, maximumPayload, segmentRoom, allowed)
    // RFC 1122 §4.2.3.4 (sender silly window avoidance): hold back a
    // segment smaller than the MSS while more data waits and some is in
    // flight; the ACK that opens the window sends it in full.
    if !ignoreWindow && length < min(unsent, segmentRoom) && inFlight > 0 { return false }
    let sendFin =
      (finSequence.map { $0 == sndNxt &+ UInt32(length) } ?? false) && length == unsent
    guard length > 0 || sendFin else { return false }
    var flags: TCPFlags = [.ack]
    if sendFin { flags.insert(.fin) }
    if length > 0 && length == unsent { flags.insert(.psh) }
    var header = makeHeader(flags: flags, sequenceNumber: sndNxt)
    header.sackBlocks = sackBlocks
    if TCPSeq.lt(sndNxt, sndMax) { counters.segmentsRetransmitted += 1 }
    outbox.append(
      TCPOutgoing(header: header, payload: sendBuffer.bytes(offset: offset, length: length)))
    let end = sndNxt &+ UInt32(length + (sendFin ? 1 : 0))
    let isNew = TCPSeq.ge(sndNxt, sndMax)
    pendingDuplicate = nil
    if sackEnabled { queue.sent(start: sndNxt, end: end, now: now) }
    sndNxt = end
    if TCPSeq.gt(end, sndMax) {
      sndMax = end
      if isNew && rttProbe == nil { rttProbe = (end: end, sentAt: now) }
    }
    if retransmitDeadline == nil { retransmitDeadline = now + rto }
    ackDeadline = nil
    unacknowledgedSegments = 0
    advertisedEdge = rcvNxt &+ UInt32(advertisedWindowBytes)
    return true
  }

  /// Sends a bare ACK now. Its sequence number is the highest sent (SND.NXT
  /// of RFC 9293, which our go-back retransmission may have rewound), so
  /// the peer finds it acceptable.
  func sendAck(now: UInt64) {
    guard state.isSynchronized || state == .synSent else { return }
    var header = makeHeader(flags: [.ack], sequenceNumber: sndMax)
    header.sackBlocks = sackBlocksToSend
    pendingDuplicate = nil
    outbox.append(TCPOutgoing(header: header, payload: []))
    ackDeadline = nil
    unacknowledgedSegments = 0
    advertisedEdge = rcvNxt &+ UInt32(advertisedWindowBytes)
  }

  /// RFC 5961 §3.2 and §4.2: "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" for a RST
  /// or SYN that is in the window but not exactly where expected.
  private func sendChallengeAck(now: UInt64) {
    let queued = outbox.count
    sendAck(now: now)
    if outbox.count > queued { outbox[outbox.count - 1].isChallengeACK = true }
  }

  /// <SEQ=seq><CTL=RST>.
  private func sendReset(sequenceNumber: UInt32) {
    var header = makeHeader(flags: [.rst], sequenceNumber: sequenceNumber)
    header.acknowledgmentNumber = 0
    header.window = 0
    outbox.append(TCPOutgoing(header: header, payload: []))
  }

  private func makeHeader(flags: TCPFlags, sequenceNumber: UInt32) -> TCPHeader {
    TCPHeader(
      sourcePort: localPort, destinationPort: remotePort, sequenceNumber: sequenceNumber,
      acknowledgmentNumber: rcvNxt, flags: flags,
      window: UInt16(min(advertisedWindowBytes >> Int(receiveScale), 0xffff)))
  }

  /// RFC 3042 §2: the first and second duplicate ACKs each let one new
  /// segment go beyond cwnd (cwnd itself unchanged); none in recovery.
  private var limitedTransmitAllowance: Int {
    recoveryPoint == nil ? min(duplicateAcks, 2) * sendMSS : 0
  }

  /// What our ACKs report of the out-of-order data (RFC 2018 §4): a
  /// duplicate segment first (a D-SACK block, RFC 2883 §4), then the block
  /// with the segment that arrived last, then the others from the lowest,
  /// so the sender learns of the holes nearest RCV.NXT.
  private var sackBlocksToSend: [TCPSackBlock] {
    guard sackEnabled, !assembler.isEmpty || pendingDuplicate != nil else { return [] }
    let latest = latestOutOfOrder.map { TCPSeq.distance(from: rcvNxt, to: $0) } ?? -1
    var blocks: [TCPSackBlock] = []
    blocks.reserveCapacity(TCPSackBlock.maximumCount)
    if let pendingDuplicate { blocks.append(pendingDuplicate) }
    for range in assembler.ranges where range.contains(latest) {
      blocks.append(sackBlock(range))
    }
    for range in assembler.ranges where !range.contains(latest) {
      guard blocks.count < TCPSackBlock.maximumCount else { break }
      blocks.append(sackBlock(range))
    }
    return blocks
  }

  private func sackBlock(_ range: Range<Int>) -> TCPSackBlock {
    TCPSackBlock(
      start: rcvNxt &+ UInt32(range.lowerBound), end: rcvNxt &+ UInt32(range.upperBound))
  }

  /// The receive window: free buffer space (RCV.WND).
  private var receiveWindowBytes: Int { receiveBuffer.freeSpace }

  /// What the window field can say, in bytes.
  private var advertisedWindowBytes: Int {
    (min(receiveWindowBytes, 0xffff << Int(receiveScale)) >> Int(receiveScale)) << Int(receiveScale)
  }

  // MARK: Timers

  /// The earliest timer, if any.
  var nextDeadline: UInt64? {
    [retransmitDeadline, ackDeadline, timeWaitDeadline, reorderDeadline, probeDeadline]
      .compactMap { $0 }.min()
  }

  /// Runs expired timers.
  func poll(now: UInt64) {
    if let deadline = timeWaitDeadline, deadline <= now {
      timeWaitDeadline = nil
      enterClosed()
      return
    }
    if let deadline = ackDeadline, deadline <= now {
      sendAck(now: now)
    }
    if let deadline = reorderDeadline, deadline <= now {
      reorderDeadline = nil
      detectLosses(now: now)
      transmit(now: now)
      if probeDeadline == nil { scheduleProbe(now: now) }
    }
    if let deadline = probeDeadline, deadline <= now {
      probeTimeout(now: now)
    }
    if let deadline = retransmitDeadline, deadline <= now {
      retransmitTimeout(now: now)
    }
  }

  /// RFC 6298 §5.4–5.7 and RFC 5681 §3.1 (loss window).
  private func retransmitTimeout(now: UInt64) {
    timeouts += 1
    let limit =
      state == .synSent
      ? TCPControlBlock.maximumSynRetransmissions
      : state == .synReceived
        ? TCPControlBlock.maximumSynAckRetransmissions : TCPControlBlock.maximumRetransmissions
    if timeouts > limit {
      fail(.timedOut)
      return
    }
    let probing = sndWnd == 0 && sndUna == sndMax
    if !probing {
      counters.timeouts += 1
      slowStartThreshold = max(flightSize / 2, 2 * sendMSS)
      congestionWindow = sendMSS
      bytesAckedInAvoidance = 0
      recoveryPoint = nil
      duplicateAcks = 0
      scoreboard.clear()  // RFC 2018 §8: the receiver may have reneged
      queue.forgetMarks()
      undoState = nil
      probe = nil
      rto = min(rto * 2, TCPControlBlock.maximumRTO)
    } else {
      // Zero-window probes back off the same way (RFC 9293 §3.8.6.1).
      rto = min(rto * 2, TCPControlBlock.maximumRTO)
    }
    rttProbe = nil
    reorderDeadline = nil
    probeDeadline = nil
    // Go back: resend from SND.UNA; the rest follows as ACKs open cwnd.
    sndNxt = sndUna
    retransmitDeadline = nil
    emitSegment(maximumPayload: probing ? 1 : sendMSS, ignoreWindow: true, now: now)
    if retransmitDeadline == nil { retransmitDeadline = now + rto }
  }

  /// RFC 6298 §2.2–2.4, in milliseconds (clock granularity G = 1 ms).
  private func sample(_ measured: UInt64) {
    minimumRTT = min(minimumRTT, measured)
    if !hasRTTSample {
      smoothedRTT = measured
      rttVariance = measured / 2
      hasRTTSample = true
    } else {
      let difference = smoothedRTT > measured ? smoothedRTT - measured : measured - smoothedRTT
      rttVariance = (3 * rttVariance + difference) / 4
      smoothedRTT = (7 * smoothedRTT + measured) / 8
    }
    let computed = smoothedRTT + max(1, 4 * rttVariance)
    rto = min(max(computed, TCPControlBlock.minimumRTO), TCPControlBlock.maximumRTO)
  }

  // MARK: Closing

  private func enterTimeWait(now: UInt64) {
    state = .timeWait
    timeWaitDeadline = now + 2 * TCPControlBlock.maximumSegmentLifetime
    retransmitDeadline = nil
    reorderDeadline = nil
    probeDeadline = nil
    ackDeadline = nil
    releaseBuffers()
  }

  /// Leaves TIME-WAIT for CLOSED early: a new incarnation of the connection
  /// is about to start (RFC 9293 §3.10.7.4).
  func endTimeWait() {
    guard state == .timeWait else { return }
    enterClosed()
  }

  private func enterClosed() {
    state = .closed
    retransmitDeadline = nil
    reorderDeadline = nil
    probeDeadline = nil
    ackDeadline = nil
    timeWaitDeadline = nil
    if receiveBuffer.isEmpty { releaseBuffers() }
  }

  /// An ICMP error (NetworkInterface+ICMP) ends the connection: closed with
  /// `reason`, nothing sent.
  func abandon(_ reason: NetError) {
    fail(reason)
  }

  /// RFC 1191 §6.4 and RFC 5927 §7: a router could not forward a segment
  /// this size; segments shrink to `maximumSegmentSize` (not below
  /// `minimumSendMSS`) and what is in flight goes again in the new size,
  /// since the too-big one was dropped.
  func lowerSendMSS(to maximumSegmentSize: Int, now: UInt64) {
    let lowered = max(maximumSegmentSize, TCPControlBlock.minimumSendMSS)
    guard lowered < sendMSS else { return }
    sendMSS = lowered
    guard state.isSynchronized, sndUna != sndMax else { return }
    rttProbe = nil
    sndNxt = sndUna
    transmit(now: now)
  }

  private func fail(_ reason: NetError) {
    error = reason
    enterClosed()
  }

  /// Frees the send buffer and an empty receive buffer.
  private func releaseBuffers() {
    sendBuffer = ByteRing(capacity: 0)
    sendBufferStart = sndUna
    queue = TCPTransmissionQueue()
    if receiveBuffer.isEmpty { receiveBuffer = ByteRing(capacity: 0) }
  }
}
