// The sender's SACK scoreboard (RFC 6675 §3, §4): which sequence ranges above
// SND.UNA the peer reported holding (RFC 2018), and from that, which bytes
// are lost (IsLost), what to retransmit next (NextSeg rule 1) and how much is
// still in the network (SetPipe).
//
// Caller contract:
// - `add` only blocks the peer sent; `advance` whenever SND.UNA moves.
// - Retransmissions in a recovery go in ascending order, so one mark,
//   HighRxt, says which lost bytes were sent again.
// - `clear` after a retransmission timeout: RFC 2018 §8, the sender "SHOULD
//   turn off all of the SACKed bits, since the timeout might indicate that
//   the data receiver has reneged".

struct TCPScoreboard {
  /// RFC 6675 §2: DupThresh, "the number of duplicate acknowledgments
  /// required to trigger a fast retransmission".
  static let duplicateThreshold = 3
  /// Ranges tracked at most; blocks that would need more are ignored until
  /// SND.UNA passes the ones held (the data is then resent on a timeout).
  static let maximumRanges = 32

  /// SACKed ranges, sorted, disjoint, not touching, all above SND.UNA.
  private(set) var ranges: [TCPSackBlock] = []

  var isEmpty: Bool { ranges.isEmpty }

  /// Records `blocks` from an ACK: only those within (`una`, `highData`]
  /// (RFC 6675 §4 ignores the rest, D-SACK blocks among them). Returns
  /// whether any byte not SACKed before now is.
  mutating func add(_ blocks: [TCPSackBlock], una: UInt32, highData: UInt32) -> Bool {
    var grew = false
    for block in blocks {
      guard TCPSeq.lt(block.start, block.end), TCPSeq.lt(una, block.end),
        TCPSeq.le(block.end, highData)
      else { continue }
      let start = TCPSeq.lt(block.start, una) ? una : block.start
      if insert(TCPSackBlock(start: start, end: block.end)) { grew = true }
    }
    return grew
  }

  /// Merges one valid block; true if it covered new bytes.
  private mutating func insert(_ block: TCPSackBlock) -> Bool {
    var merged = block
    var kept: [TCPSackBlock] = []
    kept.reserveCapacity(ranges.count + 1)
    var inserted = false
    var covered = 0
    for existing in ranges {
      if TCPSeq.lt(existing.end, merged.start) {
        kept.append(existing)
      } else if TCPSeq.lt(merged.end, existing.start) {
        if !inserted {
          kept.append(merged)
          inserted = true
        }
        kept.append(existing)
      } else {
        // Overlapping or touching: count what the block adds.
        let overlapStart = TCPSeq.gt(existing.start, block.start) ? existing.start : block.start
        let overlapEnd = TCPSeq.lt(existing.end, block.end) ? existing.end : block.end
        covered += max(0, TCPSeq.distance(from: overlapStart, to: overlapEnd))
        if TCPSeq.lt(existing.start, merged.start) { merged.start = existing.start }
        if TCPSeq.gt(existing.end, merged.end) { merged.end = existing.end }
      }
    }
    if !inserted { kept.append(merged) }
    guard kept.count <= TCPScoreboard.maximumRanges else { return false }
    ranges = kept
    return covered < TCPSeq.distance(from: block.start, to: block.end)
  }

  /// SND.UNA moved to `una`: forgets what lies below it.
  mutating func advance(to una: UInt32) {
    var index = 0
    while index < ranges.count && TCPSeq.le(ranges[index].end, una) { index += 1 }
    ranges.removeFirst(index)
    if let first = ranges.first, TCPSeq.lt(first.start, una) { ranges[0].start = una }
  }

  mutating func clear() { ranges.removeAll() }

  /// The highest SACKed sequence number plus one (RFC 6675 HighSACK), if any.
  var highestSacked: UInt32? { ranges.last?.end }

  /// Bytes SACKed.
  var sackedBytes: Int {
    var total = 0
    for range in ranges { total += TCPSeq.distance(from: range.start, to: range.end) }
    return total
  }

  /// Bytes SACKed at or above `sequence`.
  func sackedBytes(above sequence: UInt32) -> Int {
    var total = 0
    for range in ranges.reversed() {
      if TCPSeq.le(range.end, sequence) { break }
      let start = TCPSeq.gt(range.start, sequence) ? range.start : sequence
      total += TCPSeq.distance(from: start, to: range.end)
    }
    return total
  }

  /// RFC 6675 §4 IsLost: un-SACKed bytes below this are lost, for "more than
  /// (DupThresh - 1) * SMSS bytes with sequence numbers greater than SeqNum
  /// have been SACKed". `una` when nothing is lost.
  func lostBoundary(una: UInt32, mss: Int) -> UInt32 {
    let threshold = (TCPScoreboard.duplicateThreshold - 1) * mss
    var above = 0
    for range in ranges.reversed() {
      above += TCPSeq.distance(from: range.start, to: range.end)
      if above > threshold { return range.start }
    }
    return una
  }

  /// RFC 6675 §4 NextSeg rule (1): the first lost, un-SACKed range at or
  /// above `from` and below `lostBoundary`, at most `mss` long.
  func nextLost(from: UInt32, lostBoundary: UInt32, mss: Int) -> TCPSackBlock? {
    var start = from
    for range in ranges {
      if TCPSeq.ge(start, lostBoundary) { return nil }
      if TCPSeq.lt(start, range.start) {
        let length = min(mss, TCPSeq.distance(from: start, to: range.start))
        return TCPSackBlock(start: start, end: start &+ UInt32(length))
      }
      if TCPSeq.lt(start, range.end) { start = range.end }
    }
    return nil
  }

  /// RFC 6675 §4 SetPipe: the bytes in the network. Every un-SACKed byte in
  /// [`una`, `highData`) counts once, except lost bytes not yet sent again
  /// (at or above `highRetransmitted`), which count none.
  func pipe(una: UInt32, highData: UInt32, highRetransmitted: UInt32, mss: Int) -> Int {
    let outstanding = TCPSeq.distance(from: una, to: highData) - sackedBytes
    let boundary = lostBoundary(una: una, mss: mss)
    let from = TCPSeq.gt(highRetransmitted, una) ? highRetransmitted : una
    return outstanding - unsackedBytes(from: from, to: boundary)
  }

  /// Un-SACKed bytes in [`from`, `to`).
  private func unsackedBytes(from: UInt32, to: UInt32) -> Int {
    guard TCPSeq.lt(from, to) else { return 0 }
    var total = TCPSeq.distance(from: from, to: to)
    for range in ranges {
      let start = TCPSeq.gt(range.start, from) ? range.start : from
      let end = TCPSeq.lt(range.end, to) ? range.end : to
      if TCPSeq.lt(start, end) { total -= TCPSeq.distance(from: start, to: end) }
    }
    return total
  }
}
