// Out-of-order bookkeeping for the TCP receive buffer (smoltcp
// storage::Assembler): which byte ranges past RCV.NXT have arrived. The bytes
// themselves sit in the receive ring past its readable end.
// RFC 9293 §3.10.7.4: segments beyond RCV.NXT "should be held for later
// processing" rather than dropped.

struct TCPAssembler {
  /// Holes tracked at most; a segment that would need more is dropped.
  static let maximumRanges = 32

  /// Received ranges relative to RCV.NXT: sorted, disjoint, not touching, start > 0.
  private(set) var ranges: [Range<Int>] = []

  var isEmpty: Bool { ranges.isEmpty }

  /// Records `range` (start > 0). False if it would need too many ranges.
  mutating func add(_ range: Range<Int>) -> Bool {
    guard !range.isEmpty else { return true }
    var merged = range
    var kept: [Range<Int>] = []
    kept.reserveCapacity(ranges.count + 1)
    var inserted = false
    for existing in ranges {
      if existing.upperBound < merged.lowerBound {
        kept.append(existing)
      } else if merged.upperBound < existing.lowerBound {
        if !inserted {
          kept.append(merged)
          inserted = true
        }
        kept.append(existing)
      } else {
        merged =
          min(existing.lowerBound, merged.lowerBound)..<max(existing.upperBound, merged.upperBound)
      }
    }
    if !inserted { kept.append(merged) }
    guard kept.count <= TCPAssembler.maximumRanges else { return false }
    ranges = kept
    return true
  }

  /// Whether `range` was all received already.
  func contains(_ range: Range<Int>) -> Bool {
    for held in ranges where held.lowerBound <= range.lowerBound {
      if range.upperBound <= held.upperBound { return true }
    }
    return false
  }

  /// `length` in-order bytes arrived at RCV.NXT. Returns how far RCV.NXT
  /// may advance (at least `length`, more if parked ranges now join), and
  /// rebases the remaining ranges.
  mutating func advance(by length: Int) -> Int {
    var end = length
    var index = 0
    while index < ranges.count && ranges[index].lowerBound <= end {
      end = max(end, ranges[index].upperBound)
      index += 1
    }
    ranges.removeFirst(index)
    for position in ranges.indices {
      ranges[position] = (ranges[position].lowerBound - end)..<(ranges[position].upperBound - end)
    }
    return end
  }
}
