import Testing

@testable import NetStack

/// A named broken frame.
struct MalformedFrame: Sendable, CustomTestStringConvertible {
  let name: String
  let bytes: [UInt8]
  var testDescription: String { name }

  init(_ name: String, _ bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
  }

  /// The captured echo request with `change` applied.
  static func echo(_ name: String, _ change: (inout [UInt8]) -> Void) -> MalformedFrame {
    var bytes = Slirp.echoRequest
    change(&bytes)
    return MalformedFrame(name, bytes)
  }

  static let all: [MalformedFrame] = [
    MalformedFrame("empty frame", []),
    MalformedFrame("13-byte Ethernet header", Array(Slirp.echoRequest[0..<13])),
    echo("other destination MAC") { $0[5] = 0x57 },
    echo("unknown EtherType") {
      $0[12] = 0x86; $0[13] = 0xdd
    },
    MalformedFrame("truncated ARP", Array(Slirp.arpRequestForGuest[0..<41])),
    MalformedFrame(
      "ARP with protocol length 16",
      {
        var bytes = Slirp.arpRequestForGuest
        bytes[19] = 16
        return bytes
      }()),
    echo("IPv4 header cut to 19 bytes") { $0.removeSubrange(33...) },
    echo("IP version 6") { $0[14] = 0x65 },
    echo("IHL 4") { $0[14] = 0x44 },
    echo("IHL 15 beyond total length") { $0[14] = 0x4f },
    echo("total length beyond frame") { $0[17] = 0x5d },
    echo("total length below header") {
      $0[16] = 0; $0[17] = 19
    },
    echo("bad IPv4 checksum") { $0[25] ^= 1 },
    echo("first fragment (MF)") {
      $0[20] = 0x20; $0 = $0.withChecksum(over: 14..<34, at: 24)
    },
    echo("later fragment (offset 8)") {
      $0[20] = 0; $0[21] = 1; $0 = $0.withChecksum(over: 14..<34, at: 24)
    },
    echo("other destination IP") {
      $0[33] = 99; $0 = $0.withChecksum(over: 14..<34, at: 24)
    },
    echo("broadcast source IP") {
      for index in 26..<30 { $0[index] = 0xff }
      $0 = $0.withChecksum(over: 14..<34, at: 24)
    },
    echo("ICMP shorter than 8 bytes") {
      $0.removeSubrange(41...)
      $0[16] = 0
      $0[17] = 27
      $0 = $0.withChecksum(over: 14..<34, at: 24)
    },
    echo("bad ICMP checksum") { $0[36] ^= 0x40 },
  ]
}

@Suite struct MalformedFrameTests {
  @Test(arguments: MalformedFrame.all)
  func malformedFrameIsDroppedWithoutReply(frame: MalformedFrame) {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    let before = interface.droppedFrames
    interface.receive(frame.bytes, now: 1)
    #expect(interface.drain().isEmpty)
    #expect(interface.droppedFrames == before + 1)
  }

  @Test func paddedShortFrameIsTrimmedToTotalLength() {
    let interface = Slirp.guestInterface()
    interface.receive(Slirp.arpRequestForGuest, now: 0)
    _ = interface.drain()
    interface.receive(Slirp.echoRequest + [0, 0, 0, 0], now: 1)
    let frames = interface.drain()
    #expect(frames.count == 1)
    #expect(frames.first?.count == Slirp.echoRequest.count)
  }
}
