// TCP counters of an interface, in the spirit of RFC 4022's tcpOutSegs and
// tcpRetransSegs and Linux's TCPTimeouts, TCPFastRetrans,
// TCPSackRecovery/TCPRenoRecovery, TCPLossProbes and TCPDSACKUndo (`nstat`).
// They only grow.

/// What the interface's TCP connections did, summed over all of them.
public struct TCPCounters: Equatable, Sendable {
  /// Segments sent, retransmissions, ACKs and resets included (tcpOutSegs).
  public var segmentsSent = 0
  /// Segments sent again, for any reason (tcpRetransSegs).
  public var segmentsRetransmitted = 0
  /// Retransmission timer expiries (RFC 6298 §5.4).
  public var timeouts = 0
  /// Segments retransmitted in fast recovery: on entry (RFC 5681 §3.2 step
  /// 4), for SACK holes (RFC 6675 §5 step C) and partial ACKs (RFC 6582).
  public var fastRetransmits = 0
  /// Fast recoveries entered, SACK-based or NewReno.
  public var recoveries = 0
  /// Tail loss probes sent (RFC 8985 §7.3; Linux's TCPLossProbes).
  public var tailLossProbes = 0
  /// Retransmissions a D-SACK reported as needless (RFC 3708;
  /// Linux's TCPDSACKRecv counts all D-SACKs).
  public var spuriousRetransmissions = 0
  /// Recoveries whose cwnd reduction was undone because D-SACKs showed
  /// every retransmission spurious (Linux's TCPDSACKUndo).
  public var recoveriesUndone = 0

  public init() {}

  mutating func add(_ other: TCPCounters) {
    segmentsSent += other.segmentsSent
    segmentsRetransmitted += other.segmentsRetransmitted
    timeouts += other.timeouts
    fastRetransmits += other.fastRetransmits
    recoveries += other.recoveries
    tailLossProbes += other.tailLossProbes
    spuriousRetransmissions += other.spuriousRetransmissions
    recoveriesUndone += other.recoveriesUndone
  }
}
