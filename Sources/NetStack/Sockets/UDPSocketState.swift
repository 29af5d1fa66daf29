// A bound UDP socket (RFC 768): a port and a bounded queue of received
// datagrams. Sending needs no state beyond the port.

struct UDPSocketState {
  /// Datagrams kept unread; newer ones are dropped beyond this (like a full
  /// socket buffer), which UDP allows.
  static let maximumQueued = 64

  struct Datagram {
    var payload: [UInt8]
    var source: IPv4Address
    var sourcePort: UInt16
  }

  let port: UInt16
  private var queue: [Datagram] = []
  private var head = 0

  init(port: UInt16) {
    self.port = port
  }

  var queuedCount: Int { queue.count - head }

  /// Queues a datagram; false if the queue is full and it was dropped.
  mutating func push(_ datagram: Datagram) -> Bool {
    guard queuedCount < UDPSocketState.maximumQueued else { return false }
    queue.append(datagram)
    return true
  }

  /// The oldest datagram, or nil.
  mutating func pop() -> Datagram? {
    guard head < queue.count else { return nil }
    let datagram = queue[head]
    queue[head].payload = []
    head += 1
    if head == queue.count {
      queue.removeAll(keepingCapacity: true)
      head = 0
    }
    return datagram
  }
}
