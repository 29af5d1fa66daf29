// SYN cookies (RFC 4987 §3.6; D. J. Bernstein, https://cr.yp.to/syncookies.html):
// when a listener's SYN queue is full, the SYN-ACK's sequence number carries
// what the connection needs and the listener keeps nothing. The ACK that
// completes the handshake acknowledges cookie + 1; a cookie that checks out
// makes the connection then.
//
// The cookie's 32 bits:
//   31...27  t mod 32, t counting 64-second periods of the interface's clock
//   26...24  the peer's MSS, rounded down to an entry of `maximumSegmentSizes`
//   23...0   SipHash-2-4 under the secret key of t, both addresses, both
//            ports and the peer's ISN (its low 24 bits)
// A cookie is good in the period it was made and the next (64 to 128 s), and
// forging one takes 2^24 guesses per try. The SYN-ACK can carry no more, so a
// connection from a cookie does without window scaling (the SYN-ACK offers
// none, so neither side scales, RFC 7323 §2.2).

enum TCPSynCookie {
  /// The length of one period of t, in milliseconds.
  static let period: UInt64 = 64_000
  /// The MSS values a cookie can say; the first is the floor on a peer's MSS
  /// (TCPControlBlock.minimumSendMSS), so every MSS rounds down to one.
  static let maximumSegmentSizes: [Int] = [48, 256, 536, 1024, 1220, 1360, 1440, 1460]
  /// Tells cookie hashes apart from other uses of the key (ISNs).
  private static let domain: UInt64 = 0x636f_6f6b_6965  // "cookie"

  /// The ISS of a cookie SYN-ACK.
  static func make(
    secret: SipHashKey, localAddress: IPv4Address, endpoints: TCPEndpoints, peerISN: UInt32,
    maximumSegmentSize: Int, now: UInt64
  ) -> UInt32 {
    let t = now / period
    var index = 0
    for (candidate, size) in maximumSegmentSizes.enumerated() where size <= maximumSegmentSize {
      index = candidate
    }
    let hash = UInt32(
      truncatingIfNeeded: mac(secret, t, localAddress, endpoints, peerISN))
    return UInt32(truncatingIfNeeded: t & 31) << 27 | UInt32(index) << 24 | hash & 0xff_ffff
  }

  /// The MSS a cookie carries, or nil if it is forged or too old.
  static func check(
    _ cookie: UInt32, secret: SipHashKey, localAddress: IPv4Address, endpoints: TCPEndpoints,
    peerISN: UInt32, now: UInt64
  ) -> Int? {
    let current = now / period
    for age: UInt64 in 0...1 where current >= age {
      let t = current - age
      guard UInt32(truncatingIfNeeded: t & 31) == cookie >> 27 else { continue }
      let hash = UInt32(truncatingIfNeeded: mac(secret, t, localAddress, endpoints, peerISN))
      guard hash & 0xff_ffff == cookie & 0xff_ffff else { return nil }
      return maximumSegmentSizes[Int(cookie >> 24 & 7)]
    }
    return nil
  }

  private static func mac(
    _ secret: SipHashKey, _ t: UInt64, _ localAddress: IPv4Address, _ endpoints: TCPEndpoints,
    _ peerISN: UInt32
  ) -> UInt64 {
    var hash = SipHash(key: secret)
    hash.append(domain)
    hash.append(t)
    hash.append(UInt64(localAddress.value) << 32 | UInt64(endpoints.remoteAddress.value))
    hash.append(
      UInt64(endpoints.localPort) << 48 | UInt64(endpoints.remotePort) << 32 | UInt64(peerISN))
    return hash.finalize()
  }
}
