// Errors of the network stack's socket-level API. Mirrors the errno values a
// POSIX socket layer would map them to (in the doc of each case).

/// What a socket call of `NetworkInterface` failed with.
public enum NetError: Error, Equatable {
  /// Nothing to do yet; retry after the next `receive`/`poll` (EAGAIN).
  case wouldBlock
  /// The peer answered the SYN with RST (ECONNREFUSED).
  case connectionRefused
  /// The peer reset an established connection (ECONNRESET).
  case connectionReset
  /// Retransmissions, ARP or DNS gave up (ETIMEDOUT).
  case timedOut
  /// The port is taken (EADDRINUSE).
  case addressInUse
  /// The socket is not connected yet (ENOTCONN).
  case notConnected
  /// This side already closed the socket for sending, or the handle is gone (EPIPE/EBADF).
  case closed
  /// No configuration, no gateway, or an unroutable destination (ENETUNREACH).
  case noRoute
  /// A bad handle, port, name, or a datagram too large for one frame (EINVAL/EMSGSIZE).
  case invalidArgument
  /// Too many sockets, queries or pending packets (ENOBUFS).
  case noBuffers
  /// DNS: the server said the name does not exist, or gave no A record (NXDOMAIN/NODATA).
  case nameNotFound
  /// An ICMP destination unreachable said the host cannot be reached, or
  /// that a router or the host would not let the connection through (EHOSTUNREACH).
  case hostUnreachable
  /// DNS: the answer was truncated (TC) and would need DNS over TCP, which
  /// the resolver does not speak (EMSGSIZE).
  case truncatedAnswer
}
