import Testing

@testable import NetStack

/// The sender's SACK scoreboard (RFC 2018, RFC 6675 §3), with SND.UNA 1000.
@Suite struct TCPScoreboardTests {
  static let una: UInt32 = 1000
  static let highData: UInt32 = 11_000

  private func block(_ start: UInt32, _ end: UInt32) -> TCPSackBlock {
    TCPSackBlock(start: start, end: end)
  }

  /// `add` outside `#expect`, which cannot call a mutating method.
  private func add(_ board: inout TCPScoreboard, _ blocks: [TCPSackBlock]) -> Bool {
    board.add(blocks, una: Self.una, highData: Self.highData)
  }

  private func board(_ blocks: [TCPSackBlock]) -> TCPScoreboard {
    var board = TCPScoreboard()
    _ = board.add(blocks, una: Self.una, highData: Self.highData)
    return board
  }

  @Test func emptyBoardAddBlockReportsNewData() {
    var board = TCPScoreboard()
    #expect(add(&board, [block(2000, 3000)]))
    #expect(board.ranges == [block(2000, 3000)])
  }

  @Test func boardAddSameBlockAgainReportsNothingNew() {
    var board = board([block(2000, 3000)])
    #expect(!add(&board, [block(2000, 3000)]))
    #expect(!add(&board, [block(2500, 3000)]))
    #expect(add(&board, [block(2500, 3500)]))
    #expect(board.ranges == [block(2000, 3500)])
  }

  @Test func boardAddAdjacentAndOverlappingBlocksMerges() {
    let board = board([block(5000, 6000), block(2000, 3000), block(3000, 4000), block(5500, 7000)])
    #expect(board.ranges == [block(2000, 4000), block(5000, 7000)])
    #expect(board.highestSacked == 7000)
  }

  @Test(arguments: [
    (500 as UInt32, 1000 as UInt32),  // below SND.UNA (a D-SACK)
    (10_000, 12_000),  // beyond what was sent
    (3000, 2000),  // inverted
  ])
  func boardAddInvalidBlockIgnoresIt(start: UInt32, end: UInt32) {
    var board = TCPScoreboard()
    #expect(!add(&board, [block(start, end)]))
    #expect(board.isEmpty)
  }

  @Test func boardAdvancePastRangesDropsThemAndTrimsTheNext() {
    var board = board([block(2000, 3000), block(4000, 6000)])
    board.advance(to: 5000)
    #expect(board.ranges == [block(5000, 6000)])
    board.advance(to: 6000)
    #expect(board.isEmpty)
  }
}
