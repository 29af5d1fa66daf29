import Testing

@testable import NetStack

/// Bulk transfers over `LossyLink` (100 Mbit/s, 10 ms RTT, bounded queue)
/// that loses, reorders and duplicates frames, timed on the simulated clock.
@Suite struct TCPLossRecoveryTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var dropPerMille: Int
    var seed: UInt64
    /// How many times the Mathis estimate the transfer may take.
    var bound: Double
    /// Retransmission timeouts allowed (at A, which sends as much as B).
    var timeouts: Int
    var testDescription: String { "\(dropPerMille / 10)% loss" }
  }

  static let bytes = 10 << 20

  /// Simulated milliseconds to move `bytes` each way at once, or nil if the
  /// transfer did not finish within an hour of simulated time.
  private func transfer(_ link: LossyLink, bytes: Int, seed: UInt64) throws -> UInt64? {
    let (server, client) = try link.connect()
    var random = TestRandom(seed: seed ^ 0x5eed)
    let fromServer = random.bytes(bytes)
    let fromClient = random.bytes(bytes)
    let serverStream = TCPTransferTests.Stream(link.a, server, send: fromServer, expect: fromClient)
    let clientStream = TCPTransferTests.Stream(link.b, client, send: fromClient, expect: fromServer)
    let start = link.now
    let finished = link.run(
      limit: 3_600_000,
      app: {
        serverStream.pump(now: link.now)
        clientStream.pump(now: link.now)
      }, until: { serverStream.eof && clientStream.eof })
    #expect(!serverStream.mismatch)
    #expect(!clientStream.mismatch)
    #expect(serverStream.received == bytes)
    #expect(clientStream.received == bytes)
    return finished ? link.now - start : nil
  }

  /// The Mathis et al. (1997) estimate of a Reno flow's time to move
  /// `bytes` at loss rate `p`: throughput = MSS / RTT * sqrt(3 / 2) / sqrt(p),
  /// plus the time the link itself needs. In milliseconds.
  static func mathisMilliseconds(bytes: Int, parameters: LossyLink.Parameters, mss: Int) -> Double {
    let p = Double(parameters.dropPerMille) / 1000
    let rtt = Double(parameters.roundTripMicroseconds) / 1_000_000
    let throughput = Double(mss) / rtt * (1.5 / p).squareRoot()
    let serialization = Double(bytes) / Double(parameters.bytesPerSecond)
    return (Double(bytes) / throughput + serialization) * 1000
  }

  /// The bounds sit a little above what RACK-TLP and undo give; loss
  /// detection by RFC 6675's DupThresh alone exceeds each of them.
  @Test(arguments: [
    Case(dropPerMille: 10, seed: 21, bound: 1.15, timeouts: 0),
    Case(dropPerMille: 50, seed: 22, bound: 1.3, timeouts: 1),
    Case(dropPerMille: 100, seed: 23, bound: 2, timeouts: 10),
  ])
  func tenMegabytesEachWayFinishWithinAFewTimesTheMathisEstimate(_ loss: Case) throws {
    var parameters = LossyLink.Parameters()
    parameters.dropPerMille = loss.dropPerMille
    parameters.reorderPerMille = 50
    parameters.duplicatePerMille = 20
    let link = LossyLink(seed: loss.seed, parameters)
    let elapsed = try #require(try transfer(link, bytes: Self.bytes, seed: loss.seed))
    let estimate = Self.mathisMilliseconds(
      bytes: Self.bytes, parameters: parameters, mss: TCPControlBlock.ourMSS)
    print(
      "\(loss.testDescription): \(elapsed) ms simulated, Mathis estimate \(Int(estimate)) ms,",
      link.a.tcpCounters)
    #expect(
      Double(elapsed) <= loss.bound * estimate,
      "\(elapsed) ms, Mathis estimate \(Int(estimate)) ms, \(link.a.tcpCounters)")
    #expect(link.a.tcpCounters.timeouts <= loss.timeouts, "\(link.a.tcpCounters)")
  }

  /// Simulated milliseconds to move `bytes` from A to B, or nil if the
  /// transfer did not finish within an hour of simulated time.
  private func download(_ link: LossyLink, bytes: Int, seed: UInt64) throws -> UInt64? {
    let (server, client) = try link.connect()
    var random = TestRandom(seed: seed ^ 0x5eed)
    let data = random.bytes(bytes)
    let sender = TCPTransferTests.Stream(link.a, server, send: data, expect: [])
    let receiver = TCPTransferTests.Stream(link.b, client, send: [], expect: data)
    let start = link.now
    let finished = link.run(
      limit: 3_600_000,
      app: {
        sender.pump(now: link.now)
        receiver.pump(now: link.now)
      }, until: { receiver.eof })
    #expect(!receiver.mismatch)
    #expect(receiver.received == bytes)
    return finished ? link.now - start : nil
  }

  /// As bench/lossy.sh's download: 10 MiB one way at 5% loss each way (ACKs
  /// too), 5% of frames reordered by up to about three frames, 2%
  /// duplicated. Tail loss probes and RACK's timer leave the RTO little to do.
  @Test(arguments: [41, 42, 43] as [UInt64])
  func tenMegabyteDownloadAtFivePercentLossBothWaysNeedsFewTimeouts(_ seed: UInt64) throws {
    var parameters = LossyLink.Parameters()
    parameters.dropPerMille = 50
    parameters.reorderPerMille = 50
    parameters.duplicatePerMille = 20
    parameters.reorderDelayMicroseconds = 400
    let link = LossyLink(seed: seed, parameters)
    let elapsed = try #require(try download(link, bytes: Self.bytes, seed: seed))
    let counters = link.a.tcpCounters
    let estimate = Self.mathisMilliseconds(
      bytes: Self.bytes, parameters: parameters, mss: TCPControlBlock.ourMSS)
    print("download 5%, seed \(seed): \(elapsed) ms, Mathis \(Int(estimate)) ms, \(counters)")
    #expect(Double(elapsed) <= 1.3 * estimate, "\(elapsed) ms, \(counters)")
    #expect(counters.timeouts <= 2, "\(counters)")
    #expect(counters.tailLossProbes > 0)
  }

  /// Reordering alone (5% of frames by up to about three frames) costs no
  /// recovery that stays: RACK's reordering window absorbs it and undo
  /// reverts the rest, so the download takes about as long as on a clean link.
  @Test func tenMegabyteDownloadWithReorderingOnlyKeepsTheCleanLinkRate() throws {
    let clean = try #require(
      try download(LossyLink(seed: 51, LossyLink.Parameters()), bytes: Self.bytes, seed: 51))
    var parameters = LossyLink.Parameters()
    parameters.reorderPerMille = 50
    parameters.reorderDelayMicroseconds = 400
    let link = LossyLink(seed: 51, parameters)
    let elapsed = try #require(try download(link, bytes: Self.bytes, seed: 51))
    let counters = link.a.tcpCounters
    print("download, reordering only: \(elapsed) ms, clean \(clean) ms, \(counters)")
    #expect(counters.recoveries - counters.recoveriesUndone <= 2, "\(counters)")
    #expect(counters.timeouts == 0)
    #expect(Double(elapsed) <= 1.1 * Double(clean), "\(elapsed) ms, clean \(clean) ms")
  }

  /// A path as fast as the TCG guest's (1 ms RTT, 200 Mbit/s) whose
  /// reordering holds frames back up to 3 ms, three round trips: longer
  /// than RACK's window may grow (SRTT), so some segments go twice, but
  /// undo reverts each recovery they start and the download keeps the
  /// clean path's pace.
  @Test func tenMegabyteDownloadOnAShortPathWithLongReorderingUndoesItsRecoveries() throws {
    var parameters = LossyLink.Parameters()
    parameters.roundTripMicroseconds = 1_000
    parameters.bytesPerSecond = 25_000_000
    let clean = try #require(
      try download(LossyLink(seed: 7, parameters), bytes: Self.bytes, seed: 7))
    parameters.reorderPerMille = 50
    parameters.duplicatePerMille = 20
    parameters.reorderDelayMicroseconds = 3_000
    let link = LossyLink(seed: 7, parameters)
    let elapsed = try #require(try download(link, bytes: Self.bytes, seed: 7))
    let counters = link.a.tcpCounters
    print("download, short path, long reordering: \(elapsed) ms, clean \(clean), \(counters)")
    #expect(counters.recoveries - counters.recoveriesUndone <= 10, "\(counters)")
    #expect(counters.timeouts == 0)
    #expect(Double(elapsed) <= 1.15 * Double(clean), "\(elapsed) ms, clean \(clean) ms")
  }

  @Test func oneDroppedSegmentCostsOneFastRetransmitAndNoTimeout() throws {
    let link = LossyLink(seed: 31, LossyLink.Parameters())
    let (server, client) = try link.connect()
    var dataSegments = 0
    link.shouldDrop = { frame, toB in
      guard toB, frame.count > 100 else { return false }  // A's data, not ACKs
      dataSegments += 1
      return dataSegments == 20
    }
    let before = link.a.tcpCounters
    var random = TestRandom(seed: 32)
    let data = random.bytes(200_000)
    let sender = TCPTransferTests.Stream(link.a, server, send: data, expect: [])
    let receiver = TCPTransferTests.Stream(link.b, client, send: [], expect: data)
    let finished = link.run(
      limit: 60_000,
      app: {
        sender.pump(now: link.now)
        receiver.pump(now: link.now)
      }, until: { receiver.eof })
    #expect(finished)
    #expect(!receiver.mismatch && receiver.received == data.count)
    let counters = link.a.tcpCounters
    #expect(counters.timeouts - before.timeouts == 0)
    #expect(counters.recoveries - before.recoveries == 1)
    #expect(counters.fastRetransmits - before.fastRetransmits == 1)
    #expect(counters.segmentsRetransmitted - before.segmentsRetransmitted == 1)
    #expect(counters.segmentsSent - before.segmentsSent >= 200_000 / 1460)
    #expect(link.b.tcpCounters.segmentsRetransmitted == 0)
  }
}
