// A stub resolver (RFC 1123 §6.1.3.1, RFC 1035 §7): sends recursive A
// queries to the configured servers, retransmitting with doubling timeouts
// and rotating servers (§7.2 "spread ... over the servers").
//
// Against forged answers (RFC 5452 §9.1, "Kaminsky" spoofing), each lookup
// has its own random source port and random ID, and an answer counts only
// if it comes from port 53 of a server the lookup was sent to, to the
// lookup's port, with its ID and its question (name, type A, class IN).
// A blind attacker must guess 32 bits per lookup; misses are dropped.
//
// Pure bookkeeping: the interface picks the ports, sends the queries
// `poll` returns, feeds answers to `handle` and frees the ports of
// finished lookups (`takeReleasedPorts`).

struct DNSResolver {
  /// The first attempt's timeout; each retry doubles it.
  static let initialTimeout: UInt64 = 1_000
  /// Attempts per lookup (over all servers) before `.timedOut`.
  static let maximumAttempts = 4
  /// Lookups kept at once. Finished ones wait for `collect` only while the
  /// table has room: a new lookup pushes out the oldest uncollected result.
  static let maximumQueries = 64

  struct Query {
    var encodedName: [UInt8]
    var messageID: UInt16
    /// Our source port while the lookup is pending (0 once finished).
    var port: UInt16
    /// The servers queries went to: answers from others are forged.
    var servers: [IPv4Address] = []
    var attempts = 0
    var deadline: UInt64 = 0
    /// Set when done; kept until `dnsResult` collects it.
    var result: Result<IPv4Address, NetError>?
  }

  /// A query to send: message bytes, our port and the server.
  struct Outgoing {
    var payload: [UInt8]
    var port: UInt16
    var server: IPv4Address
  }

  private(set) var queries = [Int: Query]()
  /// Ports of lookups that finished since `takeReleasedPorts`.
  private var releasedPorts: [UInt16] = []

  /// No room for another lookup, even after pushing out finished ones.
  var isFull: Bool {
    queries.count >= DNSResolver.maximumQueries && !queries.values.contains { $0.result != nil }
  }

  /// Records a finished lookup (an address literal).
  mutating func insertFinished(id: Int, result: Result<IPv4Address, NetError>) {
    makeRoom()
    queries[id] = Query(encodedName: [], messageID: 0, port: 0, result: result)
  }

  /// Starts a lookup from `port`; `poll` sends its first query.
  mutating func start(
    id: Int, encodedName: [UInt8], messageID: UInt16, port: UInt16, now: UInt64
  ) {
    makeRoom()
    queries[id] = Query(encodedName: encodedName, messageID: messageID, port: port, deadline: now)
  }

  /// The result of lookup `id`: nil while pending; a finished lookup is removed.
  mutating func collect(id: Int) -> Result<IPv4Address, NetError>? {
    guard let result = queries[id]?.result else { return nil }
    queries[id] = nil
    return result
  }

  mutating func cancel(id: Int) {
    guard let query = queries.removeValue(forKey: id) else { return }
    if query.port != 0 { releasedPorts.append(query.port) }
  }

  func contains(id: Int) -> Bool { queries[id] != nil }

  /// Ports to unbind: those of lookups that finished or were cancelled.
  mutating func takeReleasedPorts() -> [UInt16] {
    defer { releasedPorts.removeAll() }
    return releasedPorts
  }

  /// Queries that are due, to the server each attempt rotates to.
  mutating func poll(now: UInt64, servers: [IPv4Address]) -> [Outgoing] {
    var outgoing: [Outgoing] = []
    for (id, query) in queries where query.result == nil && query.deadline <= now {
      var next = query
      if servers.isEmpty || next.attempts >= DNSResolver.maximumAttempts {
        finish(&next, servers.isEmpty ? .failure(.noRoute) : .failure(.timedOut))
      } else {
        var payload: [UInt8] = []
        DNSMessage.emitQuery(
          identifier: next.messageID, encodedName: next.encodedName, into: &payload)
        let server = servers[next.attempts % servers.count]
        outgoing.append(Outgoing(payload: payload, port: next.port, server: server))
        if !next.servers.contains(server) { next.servers.append(server) }
        next.deadline = now + DNSResolver.initialTimeout << UInt64(next.attempts)
        next.attempts += 1
      }
      queries[id] = next
    }
    return outgoing
  }

  /// A datagram from port 53 of `server` to our `port`. Finishes the lookup
  /// it answers; a failing server (SERVFAIL, REFUSED) makes the next attempt
  /// go out at once. Anything that does not match the lookup is ignored.
  mutating func handle(
    _ payload: UnsafeRawBufferPointer, from server: IPv4Address, to port: UInt16, now: UInt64
  ) {
    guard let message = DNSMessage(payload), message.isResponse, message.opcode == 0 else {
      return
    }
    guard
      let (id, query) = queries.first(where: {
        $0.value.result == nil && $0.value.port == port
      }),
      query.messageID == message.identifier, query.servers.contains(server),
      message.asks(encodedName: query.encodedName)
    else { return }
    var next = query
    if message.isTruncated {
      // RFC 2181 §9: a truncated answer is to be asked again over TCP.
      finish(&next, .failure(.truncatedAnswer))
    } else if message.responseCode == DNSMessage.nameError {
      finish(&next, .failure(.nameNotFound))
    } else if message.responseCode != 0 {
      next.deadline = now
    } else {
      switch message.answer {
      case .address(let address): finish(&next, .success(address))
      case .noAddress: finish(&next, .failure(.nameNotFound))
      case .malformed: return
      }
    }
    queries[id] = next
  }

  /// The earliest retransmission or timeout.
  var nextDeadline: UInt64? {
    var next: UInt64? = nil
    for query in queries.values where query.result == nil { next = earliest(next, query.deadline) }
    return next
  }

  private mutating func finish(_ query: inout Query, _ result: Result<IPv4Address, NetError>) {
    query.result = result
    if query.port != 0 { releasedPorts.append(query.port) }
    query.port = 0
  }

  /// With the table full, forgets the oldest finished, uncollected lookup
  /// (handle ids grow, so the smallest is the oldest).
  private mutating func makeRoom() {
    guard queries.count >= DNSResolver.maximumQueries else { return }
    var oldest: Int?
    for (id, query) in queries where query.result != nil && id < (oldest ?? Int.max) {
      oldest = id
    }
    if let oldest { queries[oldest] = nil }
  }
}
