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

  // MARK: SACK (RFC 2018)

  @Test func capturedSynOffersSackPermitted() throws {
    try TCPPeer.capturedSyn.withUnsafeBytes { bytes in
      let packet = try #require(IPv4Packet(bytes.netSlice(14..<bytes.count)))
      let segment = try #require(TCPSegment(packet.payload))
      #expect(segment.sackPermitted)
      #expect(segment.sackBlocks.isEmpty)
    }
  }

  @Test func synWithSackPermittedEmitsLiteralOptions() {
    let header = TCPHeader(
      sourcePort: 80, destinationPort: 40000, sequenceNumber: 1, acknowledgmentNumber: 2,
      flags: [.syn, .ack], window: 0xffff, maximumSegmentSize: 1460, windowScale: 1,
      sackPermitted: true)
    var frame: [UInt8] = []
    TCPSegment.emitHeader(header, into: &frame)
    #expect(frame[12] == 0x80)  // 32-byte header
    #expect(Array(frame[20...]) == [2, 4, 0x05, 0xb4, 1, 3, 3, 1, 1, 1, 4, 2])
  }

  /// An ACK with two SACK blocks, as Linux sends it without timestamps:
  /// NOP, NOP, kind 5, length 18, 0x1000-0x15b4, 0x2000-0x2b68.
  static let ackWithTwoSackBlocks: [UInt8] =
    [0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0x0a, 0, 0xa0, 0x10, 0x01, 0xf6, 0, 0, 0, 0]
    + [1, 1, 5, 18, 0, 0, 0x10, 0, 0, 0, 0x15, 0xb4, 0, 0, 0x20, 0, 0, 0, 0x2b, 0x68]

  @Test func ackWithSackBlocksParsesThem() throws {
    try Self.ackWithTwoSackBlocks.withUnsafeBytes { raw in
      let segment = try #require(TCPSegment(raw))
      #expect(
        segment.sackBlocks == [
          TCPSackBlock(start: 0x1000, end: 0x15b4), TCPSackBlock(start: 0x2000, end: 0x2b68),
        ])
      #expect(!segment.sackPermitted)
    }
  }

  @Test func ackWithSackBlocksEmitsTheLiteralBytes() {
    let header = TCPHeader(
      sourcePort: 40000, destinationPort: 80, sequenceNumber: 1, acknowledgmentNumber: 0x0a00,
      flags: [.ack], window: 502,
      sackBlocks: [
        TCPSackBlock(start: 0x1000, end: 0x15b4), TCPSackBlock(start: 0x2000, end: 0x2b68),
      ])
    var frame: [UInt8] = []
    TCPSegment.emitHeader(header, into: &frame)
    #expect(frame == Self.ackWithTwoSackBlocks)
    #expect(header.sackOptionLength == 20)
  }

  @Test(
    arguments: [
      [1, 1, 5, 9, 0, 0, 0x10, 0, 0, 0, 0x15, 0xb4],  // length not 8n + 2
      [1, 1, 5, 2, 0, 0, 0, 0],  // no block
      [1, 1, 5, 18, 0, 0, 0x10, 0, 0, 0, 0x15, 0xb4],  // longer than the options
    ] as [[UInt8]])
  func malformedSackOptionGivesNoBlocks(options: [UInt8]) throws {
    let bytes: [UInt8] =
      [0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0x0a, 0, UInt8((20 + options.count) / 4) << 4, 0x10]
      + [0x01, 0xf6, 0, 0, 0, 0] + options
    try bytes.withUnsafeBytes { raw in
      let segment = try #require(TCPSegment(raw))
      #expect(segment.sackBlocks.isEmpty)
    }
  }
}
