// What an app can ask about the network without opening a socket.

public enum NetworkStatus {
  /// Starts the network if needed and waits (for DHCP) until the interface has
  /// an address; fails with `.noRoute` if there is no NIC or no lease came.
  public static func configuration() throws(NetError) -> NetworkConfiguration {
    guard let network = Network.shared else { throw .noRoute }
    try network.waitForConfiguration().get()
    return network.lock.withLock { network.interface.configuration! }
  }

  /// What TCP did so far: segments sent and retransmitted, timeouts, fast
  /// retransmits and recoveries, over all connections. Starts the network
  /// if needed; all zero if there is no NIC.
  public static func tcpCounters() -> TCPCounters {
    guard let network = Network.shared else { return TCPCounters() }
    return network.lock.withLock { network.interface.tcpCounters }
  }
}
