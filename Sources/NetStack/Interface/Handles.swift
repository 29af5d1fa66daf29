// Opaque handles the socket API hands out. Each id is used once per
// interface, so a stale handle never reaches a newer socket.

/// A TCP listener or connection of one `NetworkInterface`.
public struct TCPHandle: Equatable, Hashable, Sendable {
  public let id: Int
  public init(id: Int) { self.id = id }
}

/// A bound UDP socket of one `NetworkInterface`.
public struct UDPHandle: Equatable, Hashable, Sendable {
  public let id: Int
  public init(id: Int) { self.id = id }
}

/// A DNS lookup started by `NetworkInterface.dnsStart`.
public struct DNSQuery: Equatable, Hashable, Sendable {
  public let id: Int
  public init(id: Int) { self.id = id }
}
