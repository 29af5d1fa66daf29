import Testing

@testable import NetStack

/// `maximumTimeWaitConnections`: a server that closes first keeps at most that
/// many connections in TIME-WAIT; the oldest end early.
@Suite struct TCPTimeWaitLimitTests {
  @Test func serverClosingFirst_beyondTheLimit_oldestTimeWaitEnds() throws {
    let link = SimulatedLink(seed: 41)
    link.a.maximumTimeWaitConnections = 3
    let listener = try link.a.tcpListen(port: 80, backlog: 8).get()
    // Five connections at once (five client ports), then each closed by the server.
    var clients: [TCPHandle] = []
    for _ in 0..<5 {
      clients.append(
        try link.b.tcpConnect(to: SimulatedLink.addressA, port: 80, now: link.now).get())
    }
    var servers: [TCPHandle] = []
    link.run(app: {
      while case .success(let accepted) = link.a.tcpAccept(listener) { servers.append(accepted) }
    }) { servers.count == 5 && clients.allSatisfy { link.b.tcpState($0) == .established } }
    #expect(servers.count == 5)
    for (server, client) in zip(servers, clients) {
      let answer: [UInt8] = [1, 2, 3]
      _ = answer.withUnsafeBytes { link.a.tcpSend(server, $0, now: link.now, thenClose: true) }
      link.run(limit: 1_000) { link.b.tcpState(client) == .closeWait }
      link.b.tcpClose(client, now: link.now)
      link.run(limit: 1_000) { link.a.tcpState(server) == .timeWait }
    }
    #expect(link.now < 60_000)  // no TIME-WAIT ran out by itself
    let states = servers.map { link.a.tcpState($0) }
    #expect(states.filter { $0 == .timeWait }.count == 3, "\(states)")
    #expect(states.prefix(2).allSatisfy { $0 == .closed }, "\(states)")
    #expect(link.a.tcpTimeWait.count - link.a.tcpTimeWaitHead == 3)
  }
}
