// DHCPv4 messages, RFC 2131 §2 (the BOOTP layout of RFC 951) with the options
// of RFC 2132:
//
//   op(1) htype(1) hlen(1) hops(1) xid(4) secs(2) flags(2)
//   ciaddr(4) yiaddr(4) siaddr(4) giaddr(4) chaddr(16) sname(64) file(128)
//   magic cookie 99.130.83.99, options (code, length, value; 0 pad, 255 end)
//
// Option overload (option 52, sname/file holding options) is not supported:
// options there are ignored, which RFC 2131 allows a client to do for
// servers that honour "maximum message size" (we never ask for more).

/// DHCP message types, option 53 (RFC 2132 §9.6).
enum DHCPMessageType: UInt8 {
  case discover = 1
  case offer = 2
  case request = 3
  case decline = 4
  case ack = 5
  case nak = 6
  case release = 7
  case inform = 8
}

/// The options a client cares about, parsed from a server's message.
struct DHCPOptions {
  var messageType: DHCPMessageType?
  /// Option 54.
  var serverIdentifier: IPv4Address?
  /// Option 1.
  var subnetMask: IPv4Address?
  /// Option 3; the first is the default gateway.
  var routers: [IPv4Address] = []
  /// Option 6.
  var dnsServers: [IPv4Address] = []
  /// Option 51, seconds; 0xffffffff is infinite.
  var leaseTime: UInt32?
  /// Option 58 (T1), seconds.
  var renewalTime: UInt32?
  /// Option 59 (T2), seconds.
  var rebindingTime: UInt32?
}

/// A length-checked view of a DHCP message.
struct DHCPMessage {
  static let serverPort: UInt16 = 67
  static let clientPort: UInt16 = 68
  static let bootRequest: UInt8 = 1
  static let bootReply: UInt8 = 2
  /// Up to and including the magic cookie.
  static let fixedLength = 240
  static let magicCookie: UInt32 = 0x6382_5363
  /// RFC 1542 §3.2: relay agents may drop BOOTP messages shorter than 300 bytes.
  static let minimumLength = 300
  /// The flags bit asking the server to broadcast its reply (RFC 2131 §4.1).
  static let broadcastFlag: UInt16 = 0x8000

  enum OptionCode {
    static let pad: UInt8 = 0
    static let subnetMask: UInt8 = 1
    static let router: UInt8 = 3
    static let dnsServer: UInt8 = 6
    static let requestedAddress: UInt8 = 50
    static let leaseTime: UInt8 = 51
    static let messageType: UInt8 = 53
    static let serverIdentifier: UInt8 = 54
    static let parameterRequestList: UInt8 = 55
    static let renewalTime: UInt8 = 58
    static let rebindingTime: UInt8 = 59
    static let clientIdentifier: UInt8 = 61
    static let end: UInt8 = 255
  }

  let bytes: UnsafeRawBufferPointer

  /// Nil if shorter than the fixed part or without the magic cookie.
  init?(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= DHCPMessage.fixedLength,
      bytes.netUInt32(at: 236) == DHCPMessage.magicCookie
    else { return nil }
    self.bytes = bytes
  }

  var operation: UInt8 { bytes[0] }
  var hardwareType: UInt8 { bytes[1] }
  var hardwareLength: UInt8 { bytes[2] }
  var transactionID: UInt32 { bytes.netUInt32(at: 4) }
  var clientAddress: IPv4Address { IPv4Address(bytes, at: 12) }
  /// "your" address: the one offered or acknowledged.
  var yourAddress: IPv4Address { IPv4Address(bytes, at: 16) }
  var clientHardwareAddress: MACAddress { MACAddress(bytes, at: 28) }

  /// The options after the cookie. Stops at "end", at a truncated option or
  /// at the end of the message; later duplicates of an option replace earlier ones.
  var options: DHCPOptions {
    var result = DHCPOptions()
    var index = DHCPMessage.fixedLength
    while index < bytes.count {
      let code = bytes[index]
      if code == OptionCode.end { break }
      if code == OptionCode.pad {
        index += 1
        continue
      }
      guard index + 1 < bytes.count else { break }
      let length = Int(bytes[index + 1])
      let start = index + 2
      guard start + length <= bytes.count else { break }
      let value = bytes.netSlice(start..<start + length)
      switch code {
      case OptionCode.messageType where length == 1:
        result.messageType = DHCPMessageType(rawValue: value[0])
      case OptionCode.serverIdentifier where length == 4:
        result.serverIdentifier = IPv4Address(value, at: 0)
      case OptionCode.subnetMask where length == 4:
        result.subnetMask = IPv4Address(value, at: 0)
      case OptionCode.router where length >= 4:
        result.routers = DHCPMessage.addresses(value)
      case OptionCode.dnsServer where length >= 4:
        result.dnsServers = DHCPMessage.addresses(value)
      case OptionCode.leaseTime where length == 4:
        result.leaseTime = value.netUInt32(at: 0)
      case OptionCode.renewalTime where length == 4:
        result.renewalTime = value.netUInt32(at: 0)
      case OptionCode.rebindingTime where length == 4:
        result.rebindingTime = value.netUInt32(at: 0)
      default:
        break
      }
      index = start + length
    }
    return result
  }

  private static func addresses(_ value: UnsafeRawBufferPointer) -> [IPv4Address] {
    var list: [IPv4Address] = []
    var offset = 0
    while offset + 4 <= value.count {
      list.append(IPv4Address(value, at: offset))
      offset += 4
    }
    return list
  }

  /// Appends a client message (BOOTREQUEST) to `frame`: `type`, the client
  /// identifier (type 1 + MAC, RFC 2132 §9.14), a parameter request list,
  /// and the requested address and server identifier when given; padded to
  /// 300 bytes.
  static func emitRequest(
    type: DHCPMessageType, transactionID: UInt32, clientHardware: MACAddress,
    clientAddress: IPv4Address = .unspecified, requestedAddress: IPv4Address? = nil,
    serverIdentifier: IPv4Address? = nil, into frame: inout [UInt8]
  ) {
    let start = frame.count
    frame.append(bootRequest)
    frame.append(1)  // htype: Ethernet
    frame.append(6)  // hlen
    frame.append(0)  // hops
    frame.appendNetUInt32(transactionID)
    frame.appendNetUInt16(0)  // secs
    frame.appendNetUInt16(0)  // flags: we accept unicast replies before configuration
    frame.appendIPv4(clientAddress)
    frame.append(contentsOf: repeatElement(0, count: 12))  // yiaddr, siaddr, giaddr
    frame.appendMAC(clientHardware)
    frame.append(contentsOf: repeatElement(0, count: 10 + 64 + 128))  // chaddr pad, sname, file
    frame.appendNetUInt32(magicCookie)
    frame.append(contentsOf: [OptionCode.messageType, 1, type.rawValue])
    frame.append(contentsOf: [OptionCode.clientIdentifier, 7, 1])
    frame.appendMAC(clientHardware)
    if let requestedAddress {
      frame.append(contentsOf: [OptionCode.requestedAddress, 4])
      frame.appendIPv4(requestedAddress)
    }
    if let serverIdentifier {
      frame.append(contentsOf: [OptionCode.serverIdentifier, 4])
      frame.appendIPv4(serverIdentifier)
    }
    frame.append(contentsOf: [
      OptionCode.parameterRequestList, 6, OptionCode.subnetMask, OptionCode.router,
      OptionCode.dnsServer, OptionCode.leaseTime, OptionCode.renewalTime,
      OptionCode.rebindingTime,
    ])
    frame.append(OptionCode.end)
    let length = frame.count - start
    if length < minimumLength {
      frame.append(contentsOf: repeatElement(0, count: minimumLength - length))
    }
  }
}
