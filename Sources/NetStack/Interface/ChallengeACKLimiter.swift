// RFC 5961 §7 (Linux's tcp_challenge_ack_limit): "An implementation SHOULD
// include an ACK throttling mechanism", so that spoofed RSTs and SYNs cannot
// make the stack send an ACK for each. One budget per second over all
// connections, drawn anew each second between `limit` and twice it: a fixed
// budget is a counter an off-path attacker can read by spending it
// (CVE-2016-5696, "Off-Path TCP Exploits", USENIX Security 2016).

struct ChallengeACKLimiter {
  /// The smallest budget of a second.
  var limit = 1_000
  private var secondStart: UInt64 = 0
  private var remaining = 0
  private var started = false

  /// Whether one more challenge ACK may go out at `now`.
  mutating func allow(now: UInt64, random: inout NetRandom) -> Bool {
    if !started || now &- secondStart >= 1_000 {
      started = true
      secondStart = now
      remaining = limit + Int(random.next() % UInt64(limit))
    }
    guard remaining > 0 else { return false }
    remaining -= 1
    return true
  }
}
