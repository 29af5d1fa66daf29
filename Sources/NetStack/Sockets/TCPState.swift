// TCP connection states, RFC 9293 §3.3.2.

/// The state of a TCP handle. `closed` also stands for freed or unknown handles.
public enum TCPState: Equatable, Sendable {
  case closed
  case listen
  case synSent
  case synReceived
  case established
  case finWait1
  case finWait2
  case closeWait
  case closing
  case lastAck
  case timeWait

  /// Past the handshake: the states RFC 9293 calls "synchronized".
  var isSynchronized: Bool {
    switch self {
    case .closed, .listen, .synSent: false
    default: true
    }
  }
}

/// Sequence-number comparisons modulo 2^32 (RFC 9293 §3.4, RFC 1982).
enum TCPSeq {
  @inline(__always) static func lt(_ a: UInt32, _ b: UInt32) -> Bool {
    Int32(bitPattern: a &- b) < 0
  }
  @inline(__always) static func le(_ a: UInt32, _ b: UInt32) -> Bool {
    Int32(bitPattern: a &- b) <= 0
  }
  @inline(__always) static func gt(_ a: UInt32, _ b: UInt32) -> Bool {
    Int32(bitPattern: a &- b) > 0
  }
  @inline(__always) static func ge(_ a: UInt32, _ b: UInt32) -> Bool {
    Int32(bitPattern: a &- b) >= 0
  }
  /// `to - from` as a signed distance.
  @inline(__always) static func distance(from: UInt32, to: UInt32) -> Int {
    Int(Int32(bitPattern: to &- from))
  }
}
