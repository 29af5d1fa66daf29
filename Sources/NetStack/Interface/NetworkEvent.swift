// What the interface tells its owner as it happens, for the owner to log in
// its own words (the kernel writes the seed's lines, Network+Log.swift).

public enum NetworkEvent: Equatable, Sendable {
  /// DHCP configured the interface (a first lease, or a different one).
  case acquired(NetworkConfiguration)
  /// The lease expired unrenewed: the interface has no address any more.
  case leaseLost
}
