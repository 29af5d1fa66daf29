// The network's log lines, in the seed's words:
//
//   [0][INFO] DHCP config acquired!
//   [0][INFO] IP address: 10.0.2.15/24
//   [0][INFO] Default gateway: 10.0.2.2
//   [0][INFO] DNS server 0: 10.0.2.3
//
// Written to the Console piece by piece. Built as Strings (interpolation and
// IPv4Address.text), these lines took ~140 blocks of code that runs once per
// boot, and that TCG translates first (issue 9: a networked boot's cost).

extension Network {
  static func log(_ event: NetworkEvent) {
    switch event {
    case .acquired(let configuration):
      Log.info("DHCP config acquired!")
      log(configuration)
    case .leaseLost:
      Log.info("DHCP lease lost")
    }
  }

  /// The address, gateway and DNS server lines (DHCP or `ip=`/`gateway=`/`dns=`).
  static func log(_ configuration: NetworkConfiguration) {
    Log.info("IP address: ") {
      Console.write(configuration.address)
      Console.write(UInt8(ascii: "/"))
      Console.writeDecimal(UInt64(configuration.prefixLength))
    }
    if let gateway = configuration.gateway {
      Log.info("Default gateway: ") { Console.write(gateway) }
    }
    for (index, server) in configuration.dnsServers.enumerated() {
      Log.info("DNS server ") {
        Console.writeDecimal(UInt64(index))
        Console.write(": ")
        Console.write(server)
      }
    }
  }
}

extension Console {
  /// Dotted decimal, most significant octet first.
  static func write(_ address: IPv4Address) {
    var shift: UInt32 = 24
    while true {
      writeDecimal(UInt64((address.value >> shift) & 0xFF))
      guard shift > 0 else { return }
      write(UInt8(ascii: "."))
      shift -= 8
    }
  }
}
