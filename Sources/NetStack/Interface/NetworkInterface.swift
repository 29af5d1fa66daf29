// One Ethernet interface and the protocol stack above it (smoltcp's
// iface::Interface plus its socket set). The driver feeds it received frames
// and drains the frames it wants sent; the kernel calls `poll` for timers.
//
// Caller contract:
// - Single-threaded: the kernel serializes all calls (one lock).
// - `now` is a monotonic millisecond clock. The stack reads no clock and no
//   entropy itself; the keys at init (NetworkKeys) replace randomness.
// - After every call, the driver drains `dequeueFrame()` until nil.
// - `poll(now:)` must run at `nextPollTime(now:)` at the latest.

/// An Ethernet interface with ARP, IPv4, ICMP, UDP, DHCP, DNS and TCP.
public final class NetworkInterface {
  /// Our hardware address.
  public let mac: MACAddress
  /// The IPv4 configuration: static, or set once DHCP acks (nil until then).
  public internal(set) var configuration: NetworkConfiguration?
  /// Told of DHCP leases acquired and lost (NetworkEvent).
  public var onEvent: ((NetworkEvent) -> Void)?
  /// Received frames dropped as malformed, misaddressed or unsupported (for tests and stats).
  public internal(set) var droppedFrames = 0

  var arpCache = ARPCache()
  var random: NetRandom
  /// The latest `now` seen, for calls that take no time (receive/close paths).
  var lastNow: UInt64 = 0
  var nextIdentification: UInt16

  /// Frames to transmit, FIFO. `loopback` frames are fed back into
  /// `receive` by `dequeueFrame` instead of being returned.
  var transmitQueue: [(frame: [UInt8], loopback: Bool)] = []
  var transmitHead = 0

  // Empty tables are made with `T()`, not `[:]` or `[]`: a literal is a call
  // (Dictionary(dictionaryLiteral:)), code that a guest's bring-up runs once
  // and QEMU's TCG translates first (issue 9: a networked boot's cost).

  /// The last handle id given out (UDP, TCP and DNS share the sequence).
  var nextHandleID = 0
  var udpSockets = [Int: UDPSocketState]()
  /// Bound UDP ports → socket id (`dnsPortOwner` for the resolver).
  var udpPorts = [UInt16: Int]()
  /// Runs while the configuration is not static.
  var dhcp: DHCPClient?
  var dnsResolver = DNSResolver()
  /// TCP listeners and connections by handle id.
  var tcpBlocks = [Int: TCPControlBlock]()
  var tcpConnections = [TCPEndpoints: Int]()
  var tcpListeners = [UInt16: Int]()
  /// Connections per local port (ephemeral ports are not shared).
  var tcpPortUsers = [UInt16: Int]()
  /// Connections with timers that are not in TIME-WAIT: the ones `pollTCP`
  /// looks at. A busy server holds thousands in TIME-WAIT (2 MSL each), so
  /// those wait in `tcpTimeWait`, oldest first, and are not scanned.
  var tcpActive = Set<Int>()
  var tcpTimeWait: [Int] = []
  var tcpTimeWaitHead = 0
  /// Socket ids whose readiness may have changed, for the kernel's waiters
  /// (NetworkInterface+Readiness.swift).
  var readinessChanges: [Int] = []
  var readinessNoted = Set<Int>()
  /// The key of the ISN hash (RFC 6528) and of SYN cookies.
  let tcpSecret: SipHashKey
  /// When the last SYN cookie went out (NetworkInterface+SynCookie.swift).
  var tcpLastSynCookie: UInt64?
  /// RFC 5961 §7: challenge ACKs sent per second, over all connections.
  var challengeACKs = ChallengeACKLimiter()
  /// What TCP did on this interface: segments sent and retransmitted,
  /// timeouts, fast retransmits, recoveries.
  public internal(set) var tcpCounters = TCPCounters()

  /// Handshakes in progress (SYN-RECEIVED) each listener keeps; SYNs beyond
  /// them get SYN cookies (NetworkInterface+SynCookie.swift).
  public var maximumHalfOpenConnections = 128

  /// RFC 5961 §7's limit on challenge ACKs, per second over all connections
  /// (Linux's tcp_challenge_ack_limit); each second allows a random number
  /// between it and twice it, so that an off-path attacker cannot count them
  /// to learn whether its guesses hit a window (CVE-2016-5696).
  public var challengeACKLimit: Int {
    get { challengeACKs.limit }
    set { challengeACKs.limit = max(newValue, 1) }
  }

  /// The most connections held in TIME-WAIT (2 MSL, 60 s); beyond it the
  /// oldest ends early, as Linux's tcp_max_tw_buckets does. A server that
  /// closes first holds one per connection: at 800 connections/s, 48,000.
  /// Clients reuse ports long before that (Linux's 28,232 ephemeral ones),
  /// and QEMU's user networking keeps the client's port and advances its ISN
  /// by 64,000 per connection, so after ~33,500 connections a reused port's
  /// SYN looks older than the TIME-WAIT it meets (RFC 9293 §3.10.7.4) and
  /// waits for a retry: 6 s. 4,096 is 5 s of such a load.
  public var maximumTimeWaitConnections = 4096

  /// The NIC completes TCP checksums: segments leave with only the
  /// pseudo-header sum in their checksum field (PartialChecksum.swift). Set
  /// it before the first segment is sent.
  public var offloadsTCPChecksum = false

  /// Send and receive buffer size of each new TCP connection, in bytes
  /// (64 KiB: a connection holds two). Larger values use window scaling.
  public var tcpBufferSize = 65536

  /// What TCP buffers may hold together (ByteRing grows within it).
  public let bufferMemory = NetMemory()

  /// The most TCP connections and listeners at once (the kernel derives it
  /// from its heap): beyond it SYNs are dropped and `tcpConnect` fails with
  /// `.noBuffers`, so connections never exhaust memory.
  public var maximumTCPConnections = Int.max

  /// The most frames waiting for the driver; beyond this new ones are dropped
  /// (as a full NIC ring would), and TCP retransmits.
  static let maximumQueuedFrames = 4096

  /// - Parameters:
  ///   - mac: the NIC's address.
  ///   - configuration: a static configuration, or nil to run the DHCP client.
  ///   - keys: keys DHCP xids, DNS IDs and ports, ephemeral ports (`wire`)
  ///     and TCP ISNs and SYN cookies (`secret`); fresh from the hardware on
  ///     every boot.
  public init(mac: MACAddress, configuration: NetworkConfiguration?, keys: NetworkKeys) {
    self.mac = mac
    self.configuration = configuration
    tcpSecret = keys.secret
    random = NetRandom(key: keys.wire)
    nextIdentification = random.next16()
    if configuration == nil {
      dhcp = DHCPClient(hardwareAddress: mac, transactionID: random.next32())
    }
  }

  /// Keys from `NetworkKeys(seed:)`: for tests and fuzzing that must repeat.
  public convenience init(mac: MACAddress, configuration: NetworkConfiguration?, seed: UInt64) {
    self.init(mac: mac, configuration: configuration, keys: NetworkKeys(seed: seed))
  }

  // MARK: Driver side

  /// Handles one received Ethernet frame (without FCS). Replies are queued.
  /// `checksumVerified`: the NIC checked the TCP/UDP checksum (virtio's
  /// DATA_VALID), so the stack does not.
  public func receive(frame: UnsafeRawBufferPointer, now: UInt64, checksumVerified: Bool = false) {
    advanceClock(now)
    handleFrame(frame, now: lastNow, loopback: false, checksumVerified: checksumVerified)
  }

  /// `loopback`: the frame is one we sent to ourselves (127.0.0.0/8 or our
  /// own address), which only this path may carry.
  func handleFrame(
    _ frame: UnsafeRawBufferPointer, now: UInt64, loopback: Bool, checksumVerified: Bool = false
  ) {
    guard let ethernet = EthernetFrame(frame) else { return drop() }
    guard ethernet.destination == mac || ethernet.destination.isBroadcast else { return drop() }
    // IEEE 802.3 §3.2.3: a group address is never a source.
    guard !ethernet.source.isMulticast else { return drop() }
    switch ethernet.etherType {
    case EtherType.arp: handleARP(ethernet.payload, now: now)
    case EtherType.ipv4:
      handleIPv4(
        ethernet.payload, now: now, loopback: loopback, checksumVerified: checksumVerified)
    default: drop()
    }
  }

  /// Runs timers that are due: ARP retries and expiry, DHCP, DNS, TCP.
  public func poll(now: UInt64) {
    advanceClock(now)
    for address in arpCache.poll(now: lastNow) {
      sendARPRequest(for: address)
    }
    pollProtocols(now: lastNow)
  }

  /// The next frame to transmit, oldest first, or nil when none is queued.
  public func dequeueFrame() -> [UInt8]? {
    while transmitHead < transmitQueue.count {
      let next = transmitQueue[transmitHead]
      transmitQueue[transmitHead].frame = []
      transmitHead += 1
      if transmitHead == transmitQueue.count {
        transmitQueue.removeAll(keepingCapacity: true)
        transmitHead = 0
      } else if transmitHead >= 64 && transmitHead * 2 >= transmitQueue.count {
        transmitQueue.removeFirst(transmitHead)
        transmitHead = 0
      }
      if next.loopback {
        next.frame.withUnsafeBytes { handleFrame($0, now: lastNow, loopback: true) }
        continue
      }
      return next.frame
    }
    return nil
  }

  /// Frames waiting for `dequeueFrame`.
  public var queuedFrameCount: Int { transmitQueue.count - transmitHead }

  /// When `poll` must run next (absolute, same clock as `now`), or nil if no
  /// timer is armed. A value `<= now` means "now".
  public func nextPollTime(now: UInt64) -> UInt64? {
    earliest(arpCache.nextDeadline, protocolDeadline())
  }

  // MARK: Internals shared by the layers

  func advanceClock(_ now: UInt64) {
    if now > lastNow { lastNow = now }
  }

  func drop() {
    droppedFrames += 1
  }

  func enqueue(_ frame: [UInt8], loopback: Bool = false) {
    guard queuedFrameCount < NetworkInterface.maximumQueuedFrames else { return }
    transmitQueue.append((frame: frame, loopback: loopback))
  }

  /// Protocol timers (`poll`).
  func pollProtocols(now: UInt64) {
    pollDHCP(now: now)
    pollDNS(now: now)
    pollTCP(now: now)
  }

  /// The earliest protocol timer.
  func protocolDeadline() -> UInt64? {
    let dhcpDeadline = dhcp.flatMap { $0.deadline == UInt64.max ? nil : $0.deadline }
    return earliest(earliest(dhcpDeadline, dnsResolver.nextDeadline), tcpDeadline)
  }
}

/// The earlier of two optional deadlines (nil: none). Deadlines are combined
/// on every wake-up of the network thread: no temporary arrays.
func earliest(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
  guard let a else { return b }
  guard let b else { return a }
  return min(a, b)
}
