// Checksum offload: the NIC finishes what the stack starts.
//
// - Transmit (virtio 1.2 §5.1.6.2, VIRTIO_NET_HDR_F_NEEDS_CSUM; Linux's
//   CHECKSUM_PARTIAL): the stack writes the pseudo-header sum (RFC 9293 §3.1),
//   folded but not complemented, into the TCP checksum field. The device sums
//   the bytes from `start` to the end of the frame, that field included, and
//   stores the complement at `start + offset`. Ones' complement addition is
//   associative, so the result is the checksum the stack would have written.
// - Receive (VIRTIO_NET_HDR_F_DATA_VALID, or NEEDS_CSUM on a frame a host
//   stack sent us partial): the device vouches for the transport checksum,
//   and the stack skips verifying it (NetworkInterface.receive's
//   `checksumVerified`).
//
// Only TCP is offloaded: it is where the bytes are. UDP carries DHCP and DNS
// here, and RFC 768's "a computed zero is sent as all ones" is not what a
// device completing the sum does.

/// Where a device completes a partial checksum, and how it does.
public enum PartialChecksum {
  /// Offset of the checksum field within the TCP header.
  public static let tcpChecksumOffset = 16

  /// For an outgoing frame of the stack's: where the TCP header starts in the
  /// frame (csum_start) and where its checksum field is within it
  /// (csum_offset); nil for anything but an unfragmented IPv4 TCP segment.
  public static func location(inFrame frame: UnsafeRawBufferPointer) -> (
    start: Int, offset: Int
  )? {
    guard let ethernet = EthernetFrame(frame), ethernet.etherType == EtherType.ipv4,
      let packet = IPv4Packet(ethernet.payload), packet.protocolNumber == IPProtocol.tcp,
      !packet.isFragment, packet.payload.count >= TCPSegment.minimumHeaderLength
    else { return nil }
    return (EthernetFrame.headerLength + packet.headerLength, tcpChecksumOffset)
  }

  /// What the device does: sums `frame[start...]` and stores the complement,
  /// big-endian, at `start + offset`. The caller checked that the field lies
  /// inside the frame.
  public static func complete(_ frame: UnsafeMutableRawBufferPointer, start: Int, offset: Int) {
    let sum = InternetChecksum.add(UnsafeRawBufferPointer(rebasing: frame[start...]))
    let checksum = InternetChecksum.finish(sum)
    frame[start + offset] = UInt8(truncatingIfNeeded: checksum >> 8)
    frame[start + offset + 1] = UInt8(truncatingIfNeeded: checksum)
  }
}
