// Packets as QEMU's slirp sends them (slirp/src/bootp.c, dnssearch, udp.c),
// built field by field: its DHCP server at 10.0.2.2 leases 10.0.2.15/24 for
// 24 hours with router 10.0.2.2 and DNS 10.0.2.3; its DNS proxy is 10.0.2.3.

@testable import NetStack

enum SlirpPackets {
  /// An Ethernet + IPv4 + UDP frame, checksums computed.
  static func udpFrame(
    sourceMAC: MACAddress = Slirp.gatewayMAC, destinationMAC: MACAddress,
    source: IPv4Address, sourcePort: UInt16, destination: IPv4Address, destinationPort: UInt16,
    payload: [UInt8]
  ) -> [UInt8] {
    var frame: [UInt8] = []
    frame += destinationMAC.octets + sourceMAC.octets + [0x08, 0x00]
    let totalLength = 20 + 8 + payload.count
    frame += [0x45, 0x00, UInt8(totalLength >> 8), UInt8(totalLength & 0xff)]
    frame += [0x00, 0x01, 0x00, 0x00]  // id 1, no flags (slirp sets none)
    frame += [0x40, 0x11, 0x00, 0x00]  // TTL 64, UDP, checksum below
    frame += source.octets + destination.octets
    frame = frame.withChecksum(over: 14..<34, at: 24)
    let udpLength = 8 + payload.count
    frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff)]
    frame += [UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
    frame += [UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0x00, 0x00]
    frame += payload
    let pseudo = InternetChecksum.pseudoHeader(
      source: source, destination: destination, protocolNumber: 17, length: udpLength)
    return frame.withChecksum(over: 34..<frame.count, at: 40, pseudo: pseudo)
  }

  /// A BOOTREPLY from slirp's server: `type` (2 offer, 5 ack, 6 nak) for `xid`.
  static func dhcpReply(
    type: UInt8, xid: UInt32, leaseSeconds: UInt32 = 86400, yourAddress: IPv4Address = Slirp.guest,
    extraOptions: [UInt8] = []
  ) -> [UInt8] {
    var bootp: [UInt8] = [2, 1, 6, 0]  // BOOTREPLY, Ethernet, hlen 6, hops 0
    bootp += [UInt8(xid >> 24), UInt8(xid >> 16 & 0xff), UInt8(xid >> 8 & 0xff), UInt8(xid & 0xff)]
    bootp += [0, 0, 0, 0]  // secs, flags
    bootp += [0, 0, 0, 0]  // ciaddr
    bootp += type == 6 ? [0, 0, 0, 0] : yourAddress.octets  // yiaddr
    bootp += Slirp.gateway.octets  // siaddr
    bootp += [0, 0, 0, 0]  // giaddr
    bootp += Slirp.guestMAC.octets + [UInt8](repeating: 0, count: 10)
    bootp += [UInt8](repeating: 0, count: 64 + 128)  // sname, file
    bootp += [99, 130, 83, 99]
    bootp += [53, 1, type]
    if type != 6 {
      bootp += [54, 4] + Slirp.gateway.octets
      let lease = leaseSeconds
      bootp += [
        51, 4, UInt8(lease >> 24), UInt8(lease >> 16 & 0xff), UInt8(lease >> 8 & 0xff),
        UInt8(lease & 0xff),
      ]
      bootp += [1, 4, 255, 255, 255, 0]
      bootp += [3, 4] + Slirp.gateway.octets
      bootp += [6, 4] + Slirp.dns.octets
    }
    bootp += extraOptions
    bootp += [255]
    bootp += [UInt8](repeating: 0, count: max(0, 300 - bootp.count))
    return udpFrame(
      destinationMAC: .broadcast, source: Slirp.gateway, sourcePort: 67,
      destination: .broadcast, destinationPort: 68, payload: bootp)
  }

  /// A DNS response from 10.0.2.3 for `name`: a CNAME then an A record,
  /// both owners as compression pointers, or a bare header with `rcode`.
  static func dnsResponse(
    id: UInt16, name: String, address: IPv4Address?, rcode: UInt8 = 0, toPort port: UInt16
  ) -> [UInt8] {
    var message: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x81, 0x80 | rcode]
    let answers: UInt8 = address == nil ? 0 : 2
    message += [0, 1, 0, answers, 0, 0, 0, 0]
    for label in name.split(separator: ".") {
      message.append(UInt8(label.utf8.count))
      message += Array(label.utf8)
    }
    message += [0, 0, 1, 0, 1]
    if let address {
      // example.com CNAME "x" + pointer to the question name (offset 12).
      message += [0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, UInt8(ascii: "x"), 0xc0, 12]
      // x.example.com (pointer to offset of "x" label) A address.
      let cnameTarget = UInt8(message.count - 4)
      message += [0xc0, cnameTarget, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4] + address.octets
    }
    return udpFrame(
      destinationMAC: Slirp.guestMAC, source: Slirp.dns, sourcePort: 53, destination: Slirp.guest,
      destinationPort: port, payload: message)
  }
}

/// The fields of a transmitted Ethernet/IPv4/UDP frame.
struct SentUDP {
  let destinationMAC: [UInt8]
  let source: IPv4Address
  let destination: IPv4Address
  let sourcePort: UInt16
  let destinationPort: UInt16
  let payload: [UInt8]

  /// Nil unless `frame` is a well-formed IPv4/UDP frame with valid checksums.
  init?(_ frame: [UInt8]) {
    guard frame.count >= 42, frame.be16(12) == 0x0800 else { return nil }
    let parsed: (IPv4Address, IPv4Address, UInt16, UInt16, [UInt8])? = frame.withUnsafeBytes {
      bytes in
      guard let packet = IPv4Packet(bytes.netSlice(14..<bytes.count)), packet.isChecksumValid,
        packet.protocolNumber == IPProtocol.udp, let datagram = UDPDatagram(packet.payload),
        datagram.checksum != 0,
        datagram.isChecksumValid(source: packet.source, destination: packet.destination)
      else { return nil }
      return (
        packet.source, packet.destination, datagram.sourcePort, datagram.destinationPort,
        Array(datagram.payload)
      )
    }
    guard let parsed else { return nil }
    destinationMAC = Array(frame[0..<6])
    (source, destination, sourcePort, destinationPort, payload) = parsed
  }
}
