// A stub resolver (RFC 1123 §6.1.3.1, RFC 1035 §7): sends recursive A
// queries from one UDP port to the configured servers, retransmitting with
// doubling timeouts and rotating servers (§7.2 "spread ... over the servers").
//
// Pure bookkeeping: the interface sends the queries `poll`/`start` return
// and feeds responses to `handle`.

struct DNSResolver {
  /// The first attempt's timeout; each retry doubles it.
  static let initialTimeout: UInt64 = 1_000
  /// Attempts per lookup (over all servers) before `.timedOut`.
  static let maximumAttempts = 4
  /// Lookups kept at once, finished ones included until collected.
  static let maximumQueries = 64

  struct Query {
    var encodedName: [UInt8]
    var messageID: UInt16
    var attempts = 0
    var deadline: UInt64 = 0
    /// Set when done; kept until `dnsResult` collects it.
    var result: Result<IPv4Address, NetError>?
  }

  /// A query to send: message bytes and server.
  struct Outgoing {
    var payload: [UInt8]
    var server: IPv4Address
  }

  /// Our source port, chosen by the interface at the first lookup (0 = none yet).
  var port: UInt16 = 0
  private(set) var queries = [Int: Query]()

  var isFull: Bool { queries.count >= DNSResolver.maximumQueries }

  /// Records a finished lookup (an address literal).
  mutating func insertFinished(id: Int, result: Result<IPv4Address, NetError>) {
    queries[id] = Query(encodedName: [], messageID: 0, result: result)
  }

  /// Starts a lookup; `poll` sends its first query.
  mutating func start(id: Int, encodedName: [UInt8], messageID: UInt16, now: UInt64) {
    queries[id] = Query(encodedName: encodedName, messageID: messageID, deadline: now)
  }

  /// The result of lookup `id`: nil while pending; a finished lookup is removed.
  mutating func collect(id: Int) -> Result<IPv4Address, NetError>? {
    guard let result = queries[id]?.result else { return nil }
    queries[id] = nil
    return result
  }

  mutating func cancel(id: Int) {
    queries[id] = nil
  }

  func contains(id: Int) -> Bool { queries[id] != nil }

  /// Queries that are due, to the server each attempt rotates to.
  mutating func poll(now: UInt64, servers: [IPv4Address]) -> [Outgoing] {
    var outgoing: [Outgoing] = []
    for (id, query) in queries where query.result == nil && query.deadline <= now {
      var next = query
      if servers.isEmpty || next.attempts >= DNSResolver.maximumAttempts {
        next.result = .failure(servers.isEmpty ? .noRoute : .timedOut)
      } else {
        var payload: [UInt8] = []
        DNSMessage.emitQuery(
          identifier: next.messageID, encodedName: next.encodedName, into: &payload)
        outgoing.append(Outgoing(payload: payload, server: servers[next.attempts % servers.count]))
        next.deadline = now + DNSResolver.initialTimeout << UInt64(next.attempts)
        next.attempts += 1
      }
      queries[id] = next
    }
    return outgoing
  }

  /// A datagram from `server` port 53 to our port. Finishes the lookup whose
  /// message ID it answers; a failing server (SERVFAIL, REFUSED) makes the
  /// next attempt go out at once.
  mutating func handle(_ payload: UnsafeRawBufferPointer, now: UInt64) {
    guard let message = DNSMessage(payload), message.isResponse, message.opcode == 0 else {
      return
    }
    for (id, query) in queries where query.result == nil && query.messageID == message.identifier {
      var next = query
      if message.responseCode == DNSMessage.nameError {
        next.result = .failure(.nameNotFound)
      } else if message.responseCode != 0 {
        next.deadline = now
      } else {
        switch message.answer {
        case .address(let address): next.result = .success(address)
        case .noAddress: next.result = .failure(.nameNotFound)
        case .malformed: return
        }
      }
      queries[id] = next
      return
    }
  }

  /// The earliest retransmission or timeout.
  var nextDeadline: UInt64? {
    var next: UInt64? = nil
    for query in queries.values where query.result == nil { next = earliest(next, query.deadline) }
    return next
  }
}
