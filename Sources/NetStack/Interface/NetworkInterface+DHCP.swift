// Running the DHCP client (Sockets/DHCPClient.swift) on the interface.

extension NetworkInterface {
  // The client is mutated where it is stored (`dhcp?.`): a copy taken out and
  // stored back would copy its arrays on every poll.
  func pollDHCP(now: UInt64) {
    guard let (outgoing, event) = dhcp?.poll(now: now, nextTransactionID: random.next32())
    else { return }
    if let event { apply(event) }
    if let outgoing {
      outgoing.payload.withUnsafeBytes { payload in
        _ = sendUDP(
          from: outgoing.source, port: DHCPMessage.clientPort, to: outgoing.destination,
          port: DHCPMessage.serverPort, payload, now: now)
      }
    }
  }

  func handleDHCP(_ payload: UnsafeRawBufferPointer, now: UInt64) {
    guard dhcp != nil else { return }
    if let event = dhcp?.handle(payload, now: now) { apply(event) }
    // An OFFER makes a REQUEST due at once.
    pollDHCP(now: now)
  }

  private func apply(_ event: DHCPClient.Event) {
    switch event {
    case .acquired(let acquired):
      let newAddress = configuration?.address != acquired.address
      if newAddress { arpCache.removeAll() }
      configuration = acquired
      if newAddress { announce() }
      onEvent?(.acquired(acquired))
    case .renewed:
      break
    case .lost:
      configuration = nil
      arpCache.removeAll()
      onEvent?(.leaseLost)
    }
  }
}
