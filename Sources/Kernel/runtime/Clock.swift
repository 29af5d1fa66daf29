// The monotonic clock: nanoseconds since boot from the calibrated TSC
// (Timer.swift). It never goes backwards and is the same on every core
// (QEMU's TSCs are synchronized; an invariant TSC on hardware, SDM vol. 3 §17.17).

/// A point in time on the monotonic clock.
public struct Instant: Comparable, Hashable {
  /// Nanoseconds since the loader started.
  public let uptimeNanoseconds: UInt64

  public init(uptimeNanoseconds: UInt64) { self.uptimeNanoseconds = uptimeNanoseconds }

  public static var now: Instant { Instant(uptimeNanoseconds: Timer.uptimeNanoseconds()) }

  /// Time since this instant.
  public var elapsed: Duration { Instant.now - self }

  public func duration(to other: Instant) -> Duration { other - self }

  public static func - (lhs: Instant, rhs: Instant) -> Duration {
    .nanoseconds(Int64(bitPattern: lhs.uptimeNanoseconds &- rhs.uptimeNanoseconds))
  }

  public static func + (lhs: Instant, rhs: Duration) -> Instant {
    Instant(uptimeNanoseconds: lhs.uptimeNanoseconds &+ UInt64(bitPattern: rhs.nanoseconds))
  }

  public static func < (lhs: Instant, rhs: Instant) -> Bool {
    lhs.uptimeNanoseconds < rhs.uptimeNanoseconds
  }
}

extension Duration {
  /// The whole duration in nanoseconds (truncated).
  public var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
  }

  /// The duration in seconds, as a Double.
  public var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
