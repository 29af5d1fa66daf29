// Running the DHCP client (Sockets/DHCPClient.swift) on the interface.

extension NetworkInterface {
  func pollDHCP(now: UInt64) {
    guard var client = dhcp else { return }
    let (outgoing, event) = client.poll(now: now, nextTransactionID: random.next32())
    dhcp = client
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
    guard var client = dhcp else { return }
    let event = client.handle(payload, now: now)
    dhcp = client
    if let event { apply(event) }
    // An OFFER makes a REQUEST due at once.
    pollDHCP(now: now)
  }

  private func apply(_ event: DHCPClient.Event) {
    switch event {
    case .acquired(let acquired):
      if configuration?.address != acquired.address { arpCache.removeAll() }
      configuration = acquired
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
