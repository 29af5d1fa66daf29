// The socket API a server needs, over loopback in one guest: a listener on
// port 0, a SocketPoller serving several connections from one thread, peer
// and local addresses, half-close, closing a listener, and timeouts too long
// to end. Prints one line per check; exits 0 only if all hold.
import Kernel

var failures = 0
func check(_ condition: Bool, _ what: String) {
  print("\(condition ? "ok" : "FAILED"): \(what)")
  if !condition { failures += 1 }
}

func run() throws(NetError) {
  let listener = try TCPListener(port: 0)
  check(listener.port != 0, "port 0 picked a port")
  let poller = try SocketPoller()
  poller.add(listener, token: 0)
  check(poller.wait(timeout: .zero).isEmpty, "nothing is ready before anyone connects")

  var clients: [TCPStream] = []
  for _ in 0..<3 {
    clients.append(
      try TCPStream.connect(to: "127.0.0.1", port: listener.port, timeout: .seconds(5)))
  }
  var servers: [TCPStream] = []
  while servers.count < 3 {
    let events = poller.wait(timeout: .seconds(5))
    guard !events.isEmpty else { break }
    for event in events where event.token == 0 && event.readable {
      while let stream = try? listener.accept(timeout: .zero) {
        servers.append(stream)
        poller.add(stream, token: servers.count)
      }
    }
  }
  check(servers.count == 3, "the poller reported the listener until 3 were accepted")

  for (index, client) in clients.enumerated() { try client.write("ping \(index)") }
  var received: [Int: String] = [:]
  while received.count < 3 {
    let events = poller.wait(timeout: .seconds(5))
    guard !events.isEmpty else { break }
    for event in events where event.token > 0 && event.readable {
      if let bytes = try servers[event.token - 1].readSome() {
        received[event.token, default: ""] += String(decoding: bytes, as: UTF8.self)
      }
    }
  }
  let texts = received.values.sorted()
  check(texts == ["ping 0", "ping 1", "ping 2"], "one thread read every connection")

  let local = clients[0].localEndpoint
  let peer = servers.first { $0.remoteEndpoint?.port == local?.port }?.remoteEndpoint
  check(
    local != nil && peer != nil && peer!.address == local!.address, "peer and local addresses agree"
  )

  // Half-close: the client ends its side and still reads the server's answer.
  let client = clients[0]
  let server = servers.first { $0.remoteEndpoint?.port == client.localEndpoint?.port }!
  client.shutdownWrite()
  check(try server.read(timeout: .seconds(5)).isEmpty, "the server sees the end of the stream")
  try server.write("bye")
  check(
    try client.read(timeout: .seconds(5)) == Array("bye".utf8), "the half-closed client reads on")
  server.close()

  // A timeout too long to end waits (and the data ends the wait).
  try servers[1].write("late")
  check(
    try clients[1].read(timeout: .seconds(Int64.max)) == Array("late".utf8),
    "Int64.max seconds waits")
  let event = Event()
  let signaller = Thread.spawn {
    sleep(milliseconds: 20)
    event.signal()
  }
  check(
    event.wait(timeout: .seconds(Int64.max)), "Event.wait(Int64.max seconds) waits for the signal")
  signaller.join()

  // Closing the listener frees its port and refuses what comes next.
  let port = listener.port
  listener.close()
  do throws(NetError) {
    _ = try listener.accept(timeout: .zero)
    check(false, "accept after close fails")
  } catch {
    check(error == .closed, "accept after close fails with closed")
  }
  do throws(NetError) {
    _ = try TCPStream.connect(to: "127.0.0.1", port: port, timeout: .seconds(5))
    check(false, "a connect to the closed port is refused")
  } catch {
    check(error == .connectionRefused, "a connect to the closed port is refused")
  }
  let again = try TCPListener(port: port)
  check(again.port == port, "the port can be listened on again")
}

do throws(NetError) {
  try run()
} catch {
  print("sockets: \(error.name)")
  failures += 1
}
print(failures == 0 ? "all socket checks passed" : "\(failures) socket checks failed")
exit(failures == 0 ? 0 : 1)
