// A scripted TCP peer at 10.0.2.2:40000 talking to the guest interface with
// hand-built segments, and a parser for what the guest sends back.

@testable import NetStack

enum TCPPeer {
  static let port: UInt16 = 40000

  /// A Linux SYN as captured: 10.0.2.2:40000 → 10.0.2.15:80, seq 0x1a2b3c4d,
  /// window 64240, options MSS 1460, SACK permitted, timestamps, NOP, WS 7.
  static let capturedSyn: [UInt8] = [
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x3c, 0x7a, 0x1c, 0x40, 0x00, 0x40, 0x06, 0xa8, 0x8f, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00,
    0x02, 0x0f, 0x9c, 0x40, 0x00, 0x50, 0x1a, 0x2b, 0x3c, 0x4d, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0x5f, 0xb4, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
    0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
  ]
  static let capturedSynSequence: UInt32 = 0x1a2b_3c4d

  /// A segment from the peer to the guest, as an Ethernet frame.
  static func segment(
    _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, window: UInt16 = 65535,
    options: [UInt8] = [], payload: [UInt8] = [], from port: UInt16 = TCPPeer.port,
    to guestPort: UInt16 = 80
  ) -> [UInt8] {
    var tcp: [UInt8] = []
    tcp.appendNetUInt16(port)
    tcp.appendNetUInt16(guestPort)
    tcp.appendNetUInt32(seq)
    tcp.appendNetUInt32(ack)
    tcp.append(UInt8((20 + options.count) / 4) << 4)
    tcp.append(flags.rawValue)
    tcp.appendNetUInt16(window)
    tcp += [0, 0, 0, 0]
    tcp += options + payload
    let pseudo = InternetChecksum.pseudoHeader(
      source: Slirp.gateway, destination: Slirp.guest, protocolNumber: 6, length: tcp.count)
    tcp = tcp.withChecksum(over: 0..<tcp.count, at: 16, pseudo: pseudo)
    var frame = Slirp.guestMAC.octets + Slirp.gatewayMAC.octets + [0x08, 0x00]
    let total = 20 + tcp.count
    frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0]
    frame += Slirp.gateway.octets + Slirp.guest.octets
    frame = frame.withChecksum(over: 14..<34, at: 24)
    return frame + tcp
  }
}

/// A segment the guest sent, parsed (checksums verified).
struct SentSegment {
  let sourcePort: UInt16
  let destinationPort: UInt16
  let seq: UInt32
  let ack: UInt32
  let flags: TCPFlags
  let window: UInt16
  let mss: UInt16?
  let windowScale: UInt8?
  var sackPermitted = false
  var sackBlocks: [TCPSackBlock] = []
  let payload: [UInt8]

  init?(_ frame: [UInt8]) {
    guard frame.count >= 54, frame.be16(12) == 0x0800 else { return nil }
    let parsed: SentSegment? = frame.withUnsafeBytes { bytes in
      guard let packet = IPv4Packet(bytes.netSlice(14..<bytes.count)), packet.isChecksumValid,
        packet.protocolNumber == IPProtocol.tcp, let segment = TCPSegment(packet.payload),
        segment.isChecksumValid(source: packet.source, destination: packet.destination)
      else { return nil }
      let options = segment.options
      var parsed = SentSegment(
        sourcePort: segment.sourcePort, destinationPort: segment.destinationPort,
        seq: segment.sequenceNumber, ack: segment.acknowledgmentNumber, flags: segment.flags,
        window: segment.window, mss: options.maximumSegmentSize,
        windowScale: options.windowScale, payload: Array(segment.payload))
      parsed.sackPermitted = segment.sackPermitted
      parsed.sackBlocks = segment.sackBlocks
      return parsed
    }
    guard let parsed else { return nil }
    self = parsed
  }

  private init(
    sourcePort: UInt16, destinationPort: UInt16, seq: UInt32, ack: UInt32, flags: TCPFlags,
    window: UInt16, mss: UInt16?, windowScale: UInt8?, payload: [UInt8]
  ) {
    self.sourcePort = sourcePort
    self.destinationPort = destinationPort
    self.seq = seq
    self.ack = ack
    self.flags = flags
    self.window = window
    self.mss = mss
    self.windowScale = windowScale
    self.payload = payload
  }
}

extension NetworkInterface {
  /// The TCP segments queued, parsed.
  func sentSegments() -> [SentSegment] {
    drain().compactMap(SentSegment.init)
  }
}
