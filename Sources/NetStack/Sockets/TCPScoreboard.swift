// The sender's SACK scoreboard (RFC 6675 §3): which sequence ranges above
// SND.UNA the peer reported holding (RFC 2018). TCPTransmissionQueue marks
// its segments SACKed from these ranges; what is lost, what to send again and
// what is in the network are its business (RACK, RFC 8985).
//
// Caller contract:
// - `add` only blocks the peer sent; `advance` whenever SND.UNA moves.
// - `clear` after a retransmission timeout: RFC 2018 §8, the sender "SHOULD
//   turn off all of the SACKed bits, since the timeout might indicate that
//   the data receiver has reneged".

struct TCPScoreboard {
  /// RFC 6675 §2: DupThresh, "the number of duplicate acknowledgments
  /// required to trigger a fast retransmission".
  static let duplicateThreshold = 3
  /// Ranges tracked at most; blocks that would need more are ignored until
  /// SND.UNA passes the ones held.
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
}
