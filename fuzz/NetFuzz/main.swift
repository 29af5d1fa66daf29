/// libFuzzer harness for `NetworkInterface.receive(frame:now:)`: the kernel
/// hands it every frame the NIC receives, so no sequence of frames may trap,
/// hang or make the stack emit a malformed frame. Built by scripts/fuzz.sh
/// with `swiftc -sanitize=fuzzer,address` together with Sources/NetStack.
///
/// Input layout:
///   byte 0      mode: bit 0 = no configuration (DHCP client runs),
///               bit 1 = repair IPv4/ICMP/UDP/TCP checksums of each frame
///               (so mutations reach the protocols instead of dying at the
///               checksum check)
///   then records: delta-time (1 byte, x37 ms), length (2 bytes, big
///   endian), frame bytes
///
/// Between frames the harness acts like an app: it accepts on TCP port 80,
/// echoes what it reads and closes on EOF, echoes UDP port 7, keeps one
/// outgoing connection and one DNS lookup in flight, and polls timers.
/// Every frame the stack transmits is checked (`checkTransmitted`).

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
  guard let mode = input.first else { return 0 }
  let guest = FuzzGuest(dhcp: mode & 1 != 0)
  var index = 1
  var now: UInt64 = 1
  while index + 3 <= input.count {
    now += UInt64(input[index]) * 37
    let length = Int(input[index + 1]) << 8 | Int(input[index + 2])
    index += 3
    let end = min(input.count, index + length)
    var frame = Array(input[index..<end])
    index = end
    if mode & 2 != 0 { FuzzGuest.repairChecksums(&frame) }
    guest.deliver(frame, now: now)
  }
  // Let every timer run out, as a long idle period would.
  var rounds = 0
  while let next = guest.interface.nextPollTime(now: now), rounds < 64 {
    now = max(now, next)
    guest.interface.poll(now: now)
    guest.actAndDrain(now: now)
    rounds += 1
  }
  return 0
}

final class FuzzGuest {
  static let gateway = IPv4Address(10, 0, 2, 2)
  let interface: NetworkInterface
  var listener: TCPHandle?
  var connections: [TCPHandle] = []
  var udp: UDPHandle?
  var query: DNSQuery?
  var buffer = [UInt8](repeating: 0, count: 2048)

  init(dhcp: Bool) {
    let configuration = NetworkConfiguration(
      address: IPv4Address(10, 0, 2, 15), prefixLength: 24, gateway: FuzzGuest.gateway,
      dnsServers: [IPv4Address(10, 0, 2, 3)])
    interface = NetworkInterface(
      mac: MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56), configuration: dhcp ? nil : configuration,
      seed: 1)
    interface.log = { _ in }
    listener = try? interface.tcpListen(port: 80, backlog: 4).get()
    udp = try? interface.udpBind(port: 7).get()
    if !dhcp {
      if case .success(let handle) = interface.tcpConnect(to: FuzzGuest.gateway, port: 80, now: 0) {
        connections.append(handle)
      }
      query = try? interface.dnsStart(name: "example.com", now: 0).get()
    }
    actAndDrain(now: 0)
  }

  func deliver(_ frame: [UInt8], now: UInt64) {
    frame.withUnsafeBytes { interface.receive(frame: $0, now: now) }
    if let next = interface.nextPollTime(now: now), next <= now { interface.poll(now: now) }
    actAndDrain(now: now)
  }

  func actAndDrain(now: UInt64) {
    if let listener, case .success(let handle) = interface.tcpAccept(listener) {
      connections.append(handle)
    }
    for handle in connections {
      let result = buffer.withUnsafeMutableBytes { interface.tcpReceive(handle, into: $0) }
      switch result {
      case .success(0):
        interface.tcpClose(handle, now: now)
      case .success(let count):
        _ = buffer.withUnsafeBytes {
          interface.tcpSend(handle, UnsafeRawBufferPointer(rebasing: $0[0..<count]), now: now)
        }
      case .failure:
        break
      }
    }
    connections.removeAll { interface.tcpState($0) == .closed }
    if let udp {
      let result = buffer.withUnsafeMutableBytes { interface.udpReceive(udp, into: $0) }
      if case .success(let received) = result {
        _ = buffer.withUnsafeBytes {
          interface.udpSend(
            udp, to: received.from, port: received.port,
            UnsafeRawBufferPointer(rebasing: $0[0..<received.count]), now: now)
        }
      }
    }
    if let query, interface.dnsResult(query) != .failure(.wouldBlock) { self.query = nil }
    while let frame = interface.dequeueFrame() { FuzzGuest.checkTransmitted(frame) }
  }

  /// What the driver would put on the wire must be a sane Ethernet frame:
  /// 14...1514 bytes; IPv4 with a valid header checksum and a Total Length
  /// that fills the frame; ARP of exactly 28 bytes.
  static func checkTransmitted(_ frame: [UInt8]) {
    precondition(frame.count >= 14 && frame.count <= 1514, "frame size \(frame.count)")
    let etherType = UInt16(frame[12]) << 8 | UInt16(frame[13])
    frame.withUnsafeBytes { bytes in
      let payload = UnsafeRawBufferPointer(rebasing: bytes[14...])
      switch etherType {
      case 0x0806:
        precondition(payload.count == 28, "ARP length")
      case 0x0800:
        guard let packet = IPv4Packet(payload) else { preconditionFailure("bad IPv4 header") }
        precondition(packet.isChecksumValid, "bad IPv4 checksum")
        precondition(packet.totalLength == payload.count, "IPv4 length")
      default:
        preconditionFailure("EtherType \(etherType)")
      }
    }
  }

  /// Recomputes the IPv4 header checksum and the ICMP/UDP/TCP checksum of
  /// `frame`, within the lengths the headers claim.
  static func repairChecksums(_ frame: inout [UInt8]) {
    guard frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00 else { return }
    let headerLength = Int(frame[14] & 0xf) * 4
    guard headerLength >= 20, 14 + headerLength <= frame.count else { return }
    frame[24] = 0
    frame[25] = 0
    frame.setNetUInt16(
      InternetChecksum.finish(InternetChecksum.add(frame, 14..<14 + headerLength)), at: 24)
    let total = min(Int(frame[16]) << 8 | Int(frame[17]), frame.count - 14)
    let start = 14 + headerLength
    guard total > headerLength else { return }
    let end = 14 + total
    let field: Int
    var pseudo: UInt64 = 0
    let source = IPv4Address(
      value: UInt32(frame[26]) << 24 | UInt32(frame[27]) << 16 | UInt32(frame[28]) << 8
        | UInt32(frame[29]))
    let destination = IPv4Address(
      value: UInt32(frame[30]) << 24 | UInt32(frame[31]) << 16 | UInt32(frame[32]) << 8
        | UInt32(frame[33]))
    switch frame[23] {
    case 1: field = 2
    case 6:
      field = 16
      pseudo = InternetChecksum.pseudoHeader(
        source: source, destination: destination, protocolNumber: 6, length: end - start)
    case 17:
      field = 6
      pseudo = InternetChecksum.pseudoHeader(
        source: source, destination: destination, protocolNumber: 17, length: end - start)
    default: return
    }
    guard start + field + 2 <= end else { return }
    frame[start + field] = 0
    frame[start + field + 1] = 0
    frame.setNetUInt16(
      InternetChecksum.finish(InternetChecksum.add(frame, start..<end, to: pseudo)),
      at: start + field)
  }
}
