// The DHCPv4 client state machine of RFC 2131 §4.4 (figure 5), without the
// INIT-REBOOT path and without ARP probing of the offered address:
//
//   SELECTING --offer--> REQUESTING --ack--> BOUND --T1--> RENEWING
//       ^                    |nak/timeout                     |T2
//       +--------------------+<----- lease expired ------ REBINDING
//
// Pure state: the interface sends what `poll` returns and applies the events
// of `handle`/`poll`. Times are milliseconds of the caller's clock.

struct DHCPClient {
  /// RFC 2131 §4.1: "the delay before the first retransmission SHOULD be 4
  /// seconds ... doubled ... up to a maximum of 64 seconds".
  static let initialRetransmit: UInt64 = 4_000
  static let maximumRetransmit: UInt64 = 64_000
  /// REQUESTs sent in REQUESTING before starting over with a DISCOVER.
  static let maximumRequests = 4
  /// §4.4.5: in RENEWING/REBINDING, retransmit after half the remaining
  /// time, "down to a minimum of 60 seconds".
  static let minimumRenewRetransmit: UInt64 = 60_000

  enum State: Equatable {
    case selecting
    case requesting
    case bound
    case renewing
    case rebinding
  }

  /// What the server granted.
  struct Lease: Equatable {
    var configuration: NetworkConfiguration
    var server: IPv4Address
    /// Milliseconds, relative to `acquiredAt`; nil for an infinite lease.
    var renewAfter: UInt64?
    var rebindAfter: UInt64?
    var expireAfter: UInt64?
  }

  /// A message to send: the UDP payload and where it goes.
  struct Outgoing {
    var payload: [UInt8]
    var source: IPv4Address
    var destination: IPv4Address
  }

  enum Event: Equatable {
    /// A new or changed configuration (log it).
    case acquired(NetworkConfiguration)
    /// The same lease, extended.
    case renewed
    /// NAK or expiry: the configuration is gone.
    case lost
  }

  let hardwareAddress: MACAddress
  private(set) var state = State.selecting
  private(set) var transactionID: UInt32
  private(set) var lease: Lease?
  private var offer: Lease?
  private(set) var acquiredAt: UInt64 = 0
  /// When `poll` sends next (or changes state); 0 = at the first poll.
  private(set) var deadline: UInt64 = 0
  private var retransmit = DHCPClient.initialRetransmit
  private var requestsSent = 0

  init(hardwareAddress: MACAddress, transactionID: UInt32) {
    self.hardwareAddress = hardwareAddress
    self.transactionID = transactionID
  }

  /// Sends what is due: a DISCOVER, a REQUEST, or nothing; may also expire
  /// the lease (`.lost`). `nextTransactionID` is used when starting over.
  mutating func poll(now: UInt64, nextTransactionID: UInt32) -> (Outgoing?, Event?) {
    if let lease, state == .bound || state == .renewing || state == .rebinding {
      if let expire = lease.expireAfter, now >= acquiredAt + expire {
        restart(now: now, transactionID: nextTransactionID)
        return (nil, .lost)
      }
      if state == .bound, let rebind = lease.rebindAfter, now >= acquiredAt + rebind {
        state = .rebinding
        deadline = now
      } else if state == .bound, let renew = lease.renewAfter, now >= acquiredAt + renew {
        state = .renewing
        deadline = now
      } else if state == .renewing, let rebind = lease.rebindAfter, now >= acquiredAt + rebind {
        state = .rebinding
        deadline = now
      }
    }
    guard now >= deadline else { return (nil, nil) }
    switch state {
    case .selecting:
      let message = make(.discover)
      backOff(now: now)
      return (Outgoing(payload: message, source: .unspecified, destination: .broadcast), nil)
    case .requesting:
      guard let offer, requestsSent < DHCPClient.maximumRequests else {
        restart(now: now, transactionID: nextTransactionID)
        return poll(now: now, nextTransactionID: nextTransactionID)
      }
      requestsSent += 1
      let message = make(
        .request, requestedAddress: offer.configuration.address, serverIdentifier: offer.server)
      backOff(now: now)
      return (Outgoing(payload: message, source: .unspecified, destination: .broadcast), nil)
    case .bound:
      deadline = nextLeaseEvent ?? UInt64.max
      return (nil, nil)
    case .renewing, .rebinding:
      guard let lease else { return (nil, nil) }
      // §4.4.5: RENEWING unicasts to the server, REBINDING broadcasts; both
      // carry ciaddr and neither the requested address nor the server id.
      let message = make(.request, clientAddress: lease.configuration.address)
      let limit = state == .renewing ? lease.rebindAfter : lease.expireAfter
      let remaining = (limit.map { acquiredAt + $0 } ?? now) &- now
      deadline = now + max(remaining / 2, DHCPClient.minimumRenewRetransmit)
      if let next = nextLeaseEvent { deadline = min(deadline, next) }
      let destination = state == .renewing ? lease.server : IPv4Address.broadcast
      return (
        Outgoing(
          payload: message, source: lease.configuration.address, destination: destination),
        nil
      )
    }
  }

  /// Handles a message from a server (UDP 67 → 68). Returns what changed.
  mutating func handle(_ payload: UnsafeRawBufferPointer, now: UInt64) -> Event? {
    guard let message = DHCPMessage(payload), message.operation == DHCPMessage.bootReply,
      message.transactionID == transactionID, message.clientHardwareAddress == hardwareAddress
    else { return nil }
    let options = message.options
    switch (state, options.messageType) {
    case (.selecting, .offer?):
      guard let server = options.serverIdentifier,
        let offered = DHCPClient.lease(message, options, server: server)
      else { return nil }
      offer = offered
      state = .requesting
      requestsSent = 0
      retransmit = DHCPClient.initialRetransmit
      deadline = now
      return nil
    case (.requesting, .ack?), (.renewing, .ack?), (.rebinding, .ack?):
      let server = options.serverIdentifier ?? offer?.server ?? lease?.server ?? .unspecified
      guard let granted = DHCPClient.lease(message, options, server: server) else { return nil }
      let previous = lease
      lease = granted
      offer = nil
      state = .bound
      acquiredAt = now
      deadline = nextLeaseEvent ?? UInt64.max
      if previous?.configuration == granted.configuration { return .renewed }
      return .acquired(granted.configuration)
    case (.requesting, .nak?), (.renewing, .nak?), (.rebinding, .nak?):
      let hadLease = lease != nil
      restart(now: now, transactionID: transactionID &+ 1)
      return hadLease ? .lost : nil
    default:
      return nil
    }
  }

  /// The absolute time of the next T1/T2/expiry while bound.
  private var nextLeaseEvent: UInt64? {
    guard let lease else { return nil }
    let renew = state == .bound ? lease.renewAfter : nil
    let rebind = state == .bound || state == .renewing ? lease.rebindAfter : nil
    return earliest(earliest(renew, rebind), lease.expireAfter).map { acquiredAt + $0 }
  }

  private mutating func restart(now: UInt64, transactionID: UInt32) {
    state = .selecting
    self.transactionID = transactionID
    lease = nil
    offer = nil
    retransmit = DHCPClient.initialRetransmit
    deadline = now
  }

  private mutating func backOff(now: UInt64) {
    deadline = now + retransmit
    retransmit = min(retransmit * 2, DHCPClient.maximumRetransmit)
  }

  private func make(
    _ type: DHCPMessageType, clientAddress: IPv4Address = .unspecified,
    requestedAddress: IPv4Address? = nil, serverIdentifier: IPv4Address? = nil
  ) -> [UInt8] {
    var message: [UInt8] = []
    message.reserveCapacity(DHCPMessage.minimumLength)
    DHCPMessage.emitRequest(
      type: type, transactionID: transactionID, clientHardware: hardwareAddress,
      clientAddress: clientAddress, requestedAddress: requestedAddress,
      serverIdentifier: serverIdentifier, into: &message)
    return message
  }

  /// The lease an OFFER or ACK describes; nil without a usable address.
  private static func lease(
    _ message: DHCPMessage, _ options: DHCPOptions, server: IPv4Address
  ) -> Lease? {
    let address = message.yourAddress
    guard !address.isUnspecified, !address.isBroadcast, !address.isMulticast else { return nil }
    // RFC 1122 §3.3.1.1 asks for a contiguous mask; count its leading ones.
    let prefix = options.subnetMask.map { (~$0.value).leadingZeroBitCount } ?? 24
    let configuration = NetworkConfiguration(
      address: address, prefixLength: prefix, gateway: options.routers.first,
      dnsServers: options.dnsServers)
    // RFC 2131 §4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease.
    var granted = Lease(configuration: configuration, server: server)
    if let seconds = options.leaseTime, seconds != UInt32.max {
      let leaseTime = UInt64(seconds) * 1000
      granted.expireAfter = leaseTime
      granted.renewAfter = options.renewalTime.map { UInt64($0) * 1000 } ?? leaseTime / 2
      granted.rebindAfter = options.rebindingTime.map { UInt64($0) * 1000 } ?? leaseTime * 7 / 8
    }
    return granted
  }
}
