// The sender's record of what is in flight, one entry per segment sent
// (RFC 8985 §5.2 "per-segment state", Linux's retransmission queue): the
// sequence range, when it was last sent, and whether it was retransmitted,
// SACKed or is presumed lost. RACK (TCPControlBlock) reads the send times to
// decide what is lost; loss recovery sends the lost entries again, lowest
// first, and counts the rest as in the network (`pipe`).
//
// Caller contract:
// - `sent` for every data or FIN segment, new or resent, with its range.
// - `deliver` with each ACK's SACK ranges (the scoreboard's) before
//   `advance`, which drops what SND.UNA passed.
// - `forgetMarks` after a retransmission timeout: the receiver may have
//   reneged on its SACKs (RFC 2018 §8), and every segment goes again anyway.

struct TCPSentSegment: Equatable {
  var start: UInt32
  var end: UInt32
  /// When it was last sent, in milliseconds.
  var sentAt: UInt64
  /// Which send that was, counting from the first: the order RACK_sent_after
  /// (RFC 8985 §6.2) compares, which a 1 ms clock cannot tell.
  var order: UInt64
  /// Sent more than once (its timing is ambiguous, RFC 6298 §3).
  var retransmitted = false
  /// Presumed lost and not sent again since.
  var lost = false
  var sacked = false

  var length: Int { TCPSeq.distance(from: start, to: end) }

  /// RFC 8985 §6.2 RACK_sent_after: by a later send, or the higher part of the same one.
  func wasSent(after other: TCPSentSegment) -> Bool {
    order > other.order || (order == other.order && TCPSeq.gt(end, other.end))
  }
}

struct TCPTransmissionQueue {
  /// Entries kept at most; beyond this, new data joins the last entry (the
  /// send times of its tail are then those of its head).
  static let maximumSegments = 1024

  /// Sorted by sequence number, disjoint, all above SND.UNA.
  private(set) var segments: [TCPSentSegment] = []
  /// The next send's `order`.
  private var sends: UInt64 = 0

  var isEmpty: Bool { segments.isEmpty }

  /// `start..<end` left at `now`: new data gets an entry, a resend marks the
  /// entries it covers (split at its edges) retransmitted and not lost.
  mutating func sent(start: UInt32, end: UInt32, now: UInt64) {
    guard TCPSeq.lt(start, end) else { return }
    let order = sends
    sends += 1
    var from = start
    if let last = segments.last, TCPSeq.lt(start, last.end) {
      split(at: start)
      split(at: end)
      var index = firstIndex(endingAfter: start)
      while index < segments.count && TCPSeq.lt(segments[index].start, end) {
        segments[index].sentAt = now
        segments[index].order = order
        segments[index].retransmitted = true
        segments[index].lost = false
        segments[index].sacked = false
        index += 1
      }
      from = segments[segments.count - 1].end
      guard TCPSeq.lt(from, end) else { return }
    }
    let full = segments.count >= TCPTransmissionQueue.maximumSegments
    if full && segments[segments.count - 1].end == from {
      segments[segments.count - 1].end = end
    } else {
      segments.append(TCPSentSegment(start: from, end: end, sentAt: now, order: order))
    }
  }

  /// SND.UNA moved to `una`: forgets what lies below it.
  mutating func advance(to una: UInt32) {
    var index = 0
    while index < segments.count && TCPSeq.le(segments[index].end, una) { index += 1 }
    segments.removeFirst(index)
    if let first = segments.first, TCPSeq.lt(first.start, una) { segments[0].start = una }
  }

  /// The newest-sent segment an ACK delivered, and whether it showed reordering.
  struct Delivery {
    var latest: TCPSentSegment?
    /// A segment sent once arrived after one above it (RFC 8985 §6.2 step 3).
    var reordered = false
  }

  /// An ACK for `una` with the scoreboard's `sacked` ranges: marks the
  /// entries they cover SACKed and returns, of those newly delivered, the
  /// one sent last (RFC 8985 §6.2 step 2). A retransmitted entry delivered
  /// within `minimumRTT` of its resend is skipped: the ACK is likely for the
  /// original. `highestDelivered` is RACK.fack, the end of the highest entry
  /// delivered before.
  mutating func deliver(
    una: UInt32, sacked: [TCPSackBlock], now: UInt64, minimumRTT: UInt64,
    highestDelivered: UInt32
  ) -> Delivery {
    var delivery = Delivery()
    var range = 0
    for index in segments.indices {
      let segment = segments[index]
      guard !segment.sacked else { continue }
      var delivered = TCPSeq.le(segment.end, una)
      if !delivered {
        while range < sacked.count && TCPSeq.le(sacked[range].end, segment.start) { range += 1 }
        if range < sacked.count && TCPSeq.le(sacked[range].start, segment.start)
          && TCPSeq.ge(sacked[range].end, segment.end)
        {
          segments[index].sacked = true
          segments[index].lost = false
          delivered = true
        }
      }
      guard delivered else { continue }
      if !segment.retransmitted && TCPSeq.lt(segment.end, highestDelivered) {
        delivery.reordered = true
      }
      if segment.retransmitted && now - min(segment.sentAt, now) < minimumRTT { continue }
      if let latest = delivery.latest, !segment.wasSent(after: latest) { continue }
      delivery.latest = segment
    }
    return delivery
  }

  /// Marks lost, of the entries neither SACKed nor lost, those sent before
  /// `reference` and at least `window` ms ago (RFC 8985 §6.2 step 5).
  /// Returns whether any was marked and when the next one will be late (the
  /// reordering timer), if any.
  mutating func markLost(
    sentBefore reference: TCPSentSegment, window: UInt64, now: UInt64
  ) -> (marked: Bool, deadline: UInt64?) {
    var marked = false
    var deadline: UInt64?
    for index in segments.indices {
      let segment = segments[index]
      guard !segment.sacked, !segment.lost, reference.wasSent(after: segment) else { continue }
      let late = segment.sentAt + window
      if late <= now {
        segments[index].lost = true
        marked = true
      } else {
        deadline = min(deadline ?? late, late)
      }
    }
    return (marked, deadline)
  }

  /// The lowest entry presumed lost (NextSeg, RFC 6675 §4 rule 1).
  var firstLost: TCPSentSegment? {
    for segment in segments where segment.lost { return segment }
    return nil
  }

  var hasLost: Bool { firstLost != nil }

  /// The lowest entry not SACKed.
  var firstUnsacked: TCPSentSegment? {
    for segment in segments where !segment.sacked { return segment }
    return nil
  }

  /// Bytes presumed in the network (RFC 6675 SetPipe, as RFC 8985 §4 and
  /// Linux count it): every entry neither SACKed nor lost, once.
  var pipe: Int {
    var total = 0
    for segment in segments where !segment.sacked && !segment.lost { total += segment.length }
    return total
  }

  /// Entries SACKed.
  var sackedCount: Int {
    var count = 0
    for segment in segments where segment.sacked { count += 1 }
    return count
  }

  /// Clears the lost marks (a recovery proved spurious).
  mutating func clearLost() {
    for index in segments.indices { segments[index].lost = false }
  }

  /// Clears the SACK and loss marks (after a retransmission timeout).
  mutating func forgetMarks() {
    for index in segments.indices {
      segments[index].lost = false
      segments[index].sacked = false
    }
  }

  /// The index of the first entry ending after `sequence`.
  private func firstIndex(endingAfter sequence: UInt32) -> Int {
    var low = 0
    var high = segments.count
    while low < high {
      let middle = (low + high) / 2
      if TCPSeq.le(segments[middle].end, sequence) { low = middle + 1 } else { high = middle }
    }
    return low
  }

  /// Splits the entry that holds `sequence` past its start, so that one starts there.
  private mutating func split(at sequence: UInt32) {
    let index = firstIndex(endingAfter: sequence)
    guard index < segments.count, TCPSeq.lt(segments[index].start, sequence) else { return }
    var tail = segments[index]
    tail.start = sequence
    segments[index].end = sequence
    segments.insert(tail, at: index + 1)
  }
}
