import Testing

@testable import NetStack

@Suite struct TCPSegmentTests {
  @Test func capturedSynParsesWithOptions() throws {
    try TCPPeer.capturedSyn.withUnsafeBytes { bytes in
      let packet = try #require(IPv4Packet(bytes.netSlice(14..<bytes.count)))
      let segment = try #require(TCPSegment(packet.payload))
      #expect(segment.isChecksumValid(source: packet.source, destination: packet.destination))
      #expect(segment.sourcePort == 40000)
      #expect(segment.destinationPort == 80)
      #expect(segment.sequenceNumber == 0x1a2b_3c4d)
      #expect(segment.flags == .syn)
      #expect(segment.window == 64240)
      #expect(segment.options.maximumSegmentSize == 1460)
      #expect(segment.options.windowScale == 7)
      #expect(segment.payload.isEmpty)
    }
  }

  @Test func emittedHeaderRoundTrips() throws {
    let header = TCPHeader(
      sourcePort: 80, destinationPort: 40000, sequenceNumber: 0xdead_beef,
      acknowledgmentNumber: 0x1a2b_3c4e, flags: [.syn, .ack], window: 0xffff,
      maximumSegmentSize: 1460, windowScale: 3)
    var frame: [UInt8] = []
    TCPSegment.emitHeader(header, into: &frame)
    frame += [1, 2, 3]
    TCPSegment.finish(&frame, segmentStart: 0, source: Slirp.guest, destination: Slirp.gateway)
    try frame.withUnsafeBytes { bytes in
      let segment = try #require(TCPSegment(bytes))
      #expect(segment.headerLength == 28)
      #expect(segment.isChecksumValid(source: Slirp.guest, destination: Slirp.gateway))
      #expect(segment.acknowledgmentNumber == 0x1a2b_3c4e)
      #expect(segment.flags == [.syn, .ack])
      #expect(segment.options.maximumSegmentSize == 1460)
      #expect(segment.options.windowScale == 3)
      #expect(Array(segment.payload) == [1, 2, 3])
    }
  }

  @Test(arguments: [
    [UInt8](repeating: 0, count: 19),
    // Data offset 4 (below the minimum).
    [0, 80, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 2, 0, 0, 0, 0, 0, 0],
    // Data offset 6 beyond a 20-byte segment.
    [0, 80, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 2, 0, 0, 0, 0, 0, 0],
  ])
  func malformedHeaderIsRejected(bytes: [UInt8]) {
    bytes.withUnsafeBytes { #expect(TCPSegment($0) == nil) }
  }

  @Test func truncatedOrZeroLengthOptionsStopParsing() throws {
    // MSS option with length 0, then a window scale that must not be read.
    let bytes: [UInt8] =
      [0, 80, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x70, 2, 0, 0, 0, 0, 0, 0]
      + [2, 0, 3, 3, 7, 0, 0, 0]
    try bytes.withUnsafeBytes { raw in
      let segment = try #require(TCPSegment(raw))
      #expect(segment.options.maximumSegmentSize == nil)
      #expect(segment.options.windowScale == nil)
    }
  }

  @Test func windowScaleAbove14IsCapped() throws {
    let bytes: [UInt8] =
      [0, 80, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 2, 0, 0, 0, 0, 0, 0]
      + [1, 3, 3, 20]
    bytes.withUnsafeBytes { raw in
      #expect(TCPSegment(raw)?.options.windowScale == 14)
    }
  }
}
