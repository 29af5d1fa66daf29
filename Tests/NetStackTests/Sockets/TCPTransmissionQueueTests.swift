import Testing

@testable import NetStack

/// The sender's per-segment record (RFC 8985 §5.2), with 1000-byte segments
/// from sequence number 1000.
@Suite struct TCPTransmissionQueueTests {
  private func block(_ start: UInt32, _ end: UInt32) -> TCPSackBlock {
    TCPSackBlock(start: start, end: end)
  }

  /// Segments [1000, 2000), [2000, 3000), ... sent at 10, 11, ...
  private func queue(segments: Int) -> TCPTransmissionQueue {
    var queue = TCPTransmissionQueue()
    for index in 0..<segments {
      let start = UInt32(1000 + 1000 * index)
      queue.sent(start: start, end: start + 1000, now: UInt64(10 + index))
    }
    return queue
  }

  @Test func queueResendOfPartOfASegmentSplitsIt() {
    var queue = queue(segments: 3)
    queue.sent(start: 2000, end: 2500, now: 50)
    #expect(queue.segments.map(\.start) == [1000, 2000, 2500, 3000])
    #expect(queue.segments[1].retransmitted && queue.segments[1].sentAt == 50)
    #expect(!queue.segments[2].retransmitted && queue.segments[2].sentAt == 11)
  }

  @Test func queueAdvanceDropsAcknowledgedAndTrimsTheNext() {
    var queue = queue(segments: 3)
    queue.advance(to: 2500)
    #expect(queue.segments.map(\.start) == [2500, 3000])
  }

  @Test func queueDeliverReturnsTheSegmentSentLastAndSeesReordering() {
    var queue = queue(segments: 4)
    let first = queue.deliver(
      una: 1000, sacked: [block(4000, 5000)], now: 30, minimumRTT: 10, highestDelivered: 1000)
    #expect(first.latest?.start == 4000)
    #expect(!first.reordered)
    let second = queue.deliver(
      una: 1000, sacked: [block(3000, 5000)], now: 31, minimumRTT: 10, highestDelivered: 5000)
    #expect(second.latest?.start == 3000)
    #expect(second.reordered)
  }

  @Test func queueDeliverSkipsARetransmissionAckedTooSoon() {
    var queue = queue(segments: 2)
    queue.sent(start: 1000, end: 2000, now: 40)
    let delivery = queue.deliver(
      una: 2000, sacked: [], now: 42, minimumRTT: 10, highestDelivered: 1000)
    #expect(delivery.latest == nil)
  }

  @Test func queueMarkLostTakesWhatWasSentBeforeAndIsLateThenTimesTheRest() {
    var queue = queue(segments: 4)
    _ = queue.deliver(
      una: 1000, sacked: [block(3000, 4000)], now: 30, minimumRTT: 10, highestDelivered: 1000)
    let reference = queue.segments[2]
    // Window 18: segment 0 (sent at 10) is late at 28, segment 1 (11) at 29.
    let result = queue.markLost(sentBefore: reference, window: 18, now: 28)
    #expect(result.marked)
    #expect(result.deadline == 29)
    #expect(queue.segments.map(\.lost) == [true, false, false, false])
    #expect(queue.firstLost?.start == 1000)
    // Pipe: segments 1 and 3 (0 is lost, 2 SACKed).
    #expect(queue.pipe == 2000)
    queue.sent(start: 1000, end: 2000, now: 28)
    #expect(queue.pipe == 3000)
    #expect(queue.firstLost == nil)
  }
}
