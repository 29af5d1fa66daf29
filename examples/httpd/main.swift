// The seed's third demo: an HTTP/1.1 server on port 8000. One thread serves
// every connection from an event loop over a SocketPoller, so idle keep-alive
// connections cost a few hundred bytes each, not a thread and its stack.
//
//   GET /hello          -> "hello world"
//   GET /bytes/N        -> N bytes (0-9 repeating), streamed: any N fits in memory
//   GET /stats          -> the stack's TCP counters, one "name value" per line
//   POST /upload        -> "COUNT SHA256HEX\n" of the body (Content-Length bytes)
//   anything else       -> 404 (405 for other methods)
import Kernel

let port: UInt16 = 8000
/// The longest request head accepted.
let maximumHead = 16384
/// Bytes read or generated per step of a connection.
let chunkSize = 16384
/// Keep-alive connections idle this long are closed.
let idleMilliseconds: UInt64 = 300_000
/// The largest /bytes/N and upload: beyond it, 413.
let maximumLength = 1 << 40

/// One client connection's state between events.
final class Connection {
  let stream: TCPStream
  /// Received bytes not yet parsed.
  var input: [UInt8] = []
  /// Response bytes waiting for room in the send buffer.
  var output: [UInt8] = []
  var outputOffset = 0
  /// /bytes/N still to generate: the next digit's index and how many remain.
  var patternIndex = 0
  var patternRemaining = 0
  /// An upload being read: bytes still expected, and the digest so far.
  var uploadRemaining = 0
  var uploadLength = 0
  var uploadKeepAlive = true
  var digest = SHA256()
  var uploading = false
  /// Close once the output is sent (Connection: close).
  var closeAfterOutput = false
  var watchingWrites = false
  var lastActive = Instant.now

  init(stream: TCPStream) { self.stream = stream }

  var hasPendingOutput: Bool { outputOffset < output.count || patternRemaining > 0 }
}

final class Server {
  let listener: TCPListener
  let poller: SocketPoller
  var connections: [Int: Connection] = [:]
  var nextToken = 1
  var lastSweep = Instant.now

  init() throws(NetError) {
    listener = try TCPListener(port: port, backlog: 1024)
    poller = try SocketPoller()
    poller.add(listener, token: 0)
  }

  func run() -> Never {
    print("Now listening on port \(port)")
    while true {
      for event in poller.wait(timeout: .seconds(1)) {
        if event.token == 0 {
          acceptAll()
        } else if let connection = connections[event.token] {
          step(connection, token: event.token, readable: event.readable)
        }
      }
      sweepIdle()
    }
  }

  private func acceptAll() {
    while true {
      let stream: TCPStream
      do throws(NetError) {
        stream = try listener.accept(timeout: .zero)
      } catch {
        return  // none waiting (or out of memory: the peer's SYN is retried)
      }
      let token = nextToken
      nextToken += 1
      connections[token] = Connection(stream: stream)
      poller.add(stream, token: token)
    }
  }

  /// Reads what arrived, answers what can be answered, writes what fits.
  private func step(_ connection: Connection, token: Int, readable: Bool) {
    do throws(NetError) {
      connection.lastActive = Instant.now
      if readable {
        guard let bytes = try connection.stream.readSome(maximum: chunkSize) else {
          return try pump(connection, token: token)
        }
        if bytes.isEmpty { return finish(token) }  // the peer closed
        connection.input += bytes
      }
      try pump(connection, token: token)
    } catch {
      finish(token)  // reset, timed out or refused: drop the connection
    }
  }

  /// Moves the connection on as far as it goes without waiting.
  private func pump(_ connection: Connection, token: Int) throws(NetError) {
    while true {
      if connection.uploading {
        let taken = min(connection.uploadRemaining, connection.input.count)
        if taken > 0 {
          connection.digest.update(Array(connection.input[..<taken]))
          connection.input.removeFirst(taken)
          connection.uploadRemaining -= taken
        }
        guard connection.uploadRemaining == 0 else { break }
        connection.uploading = false
        let body = "\(connection.uploadLength) \(connection.digest.finalizeHex())\n"
        respond(
          connection, status: "200 OK", body: Array(body.utf8),
          keepAlive: connection.uploadKeepAlive)
      }
      try write(connection)
      if connection.hasPendingOutput { break }
      if connection.closeAfterOutput { return finish(token) }
      guard let head = takeHead(connection) else {
        if connection.input.count > maximumHead { return finish(token) }
        break
      }
      handle(head, on: connection)
    }
    let wantsWrites = connection.hasPendingOutput
    if wantsWrites != connection.watchingWrites {
      connection.watchingWrites = wantsWrites
      poller.update(connection.stream, writable: wantsWrites)
    }
  }

  /// Sends queued output, then generated /bytes/N output, while the send
  /// buffer takes it.
  private func write(_ connection: Connection) throws(NetError) {
    while true {
      if connection.outputOffset == connection.output.count {
        connection.output.removeAll(keepingCapacity: true)
        connection.outputOffset = 0
        guard connection.patternRemaining > 0 else { return }
        let count = min(chunkSize, connection.patternRemaining)
        for _ in 0..<count {
          connection.output.append(UInt8(ascii: "0") + UInt8(connection.patternIndex % 10))
          connection.patternIndex += 1
        }
        connection.patternRemaining -= count
      }
      let offset = connection.outputOffset
      // The last bytes of a Connection: close answer carry the FIN.
      let last = connection.closeAfterOutput && connection.patternRemaining == 0
      // withUnsafeBytes rethrows untyped errors: carry ours out as a Result.
      let taken = try connection.output.withUnsafeBytes { all -> Result<Int, NetError> in
        do throws(NetError) {
          return .success(
            try connection.stream.writeSome(
              UnsafeRawBufferPointer(rebasing: all[offset...]), thenClose: last))
        } catch {
          return .failure(error)
        }
      }.get()
      if taken == 0 { return }
      connection.outputOffset += taken
    }
  }

  private func takeHead(_ connection: Connection) -> [UInt8]? {
    let input = connection.input
    guard input.count >= 4 else { return nil }
    for index in 0...(input.count - 4)
    where input[index] == 13 && input[index + 1] == 10 && input[index + 2] == 13
      && input[index + 3] == 10
    {
      let head = Array(input[..<index])
      connection.input.removeFirst(index + 4)
      return head
    }
    return nil
  }

  private func handle(_ head: [UInt8], on connection: Connection) {
    let text = String(decoding: head, as: UTF8.self)
    let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
    let requestLine = lines.first.map(String.init) ?? ""
    print("[httpd] \(requestLine)")
    let parts = requestLine.split(separator: " ")
    let method = parts.first.map(String.init) ?? ""
    let path = parts.count > 1 ? String(parts[1]) : "/"
    let version = parts.count > 2 ? String(parts[2]) : "HTTP/1.0"
    var keepAlive = version == "HTTP/1.1"
    var contentLength: Int?
    var expectsContinue = false
    for line in lines.dropFirst() {
      let lower = line.lowercased()
      if let value = headerValue(lower, "connection:") {
        keepAlive = value == "keep-alive" || (keepAlive && value != "close")
      } else if let value = headerValue(lower, "content-length:") {
        contentLength = Int(value)
      } else if let value = headerValue(lower, "expect:") {
        expectsContinue = value == "100-continue"
      }
    }
    switch (method, path) {
    case ("GET", "/hello"), ("HEAD", "/hello"):
      respond(connection, status: "200 OK", body: Array("hello world".utf8), keepAlive: keepAlive)
    case ("GET", "/stats"):
      respond(connection, status: "200 OK", body: Array(statsText().utf8), keepAlive: keepAlive)
    case ("POST", "/upload"):
      guard let length = contentLength, length >= 0 else {
        return respond(
          connection, status: "411 Length Required", body: Array("length required\n".utf8),
          keepAlive: false)
      }
      guard length <= maximumLength else {
        return respond(
          connection, status: "413 Content Too Large", body: Array("too large\n".utf8),
          keepAlive: false)
      }
      if expectsContinue { connection.output += Array("HTTP/1.1 100 Continue\r\n\r\n".utf8) }
      connection.uploading = true
      connection.uploadRemaining = length
      connection.uploadLength = length
      connection.uploadKeepAlive = keepAlive
      connection.digest = SHA256()
    case ("GET", _) where path.hasPrefix("/bytes/"):
      guard let count = Int(path.dropFirst("/bytes/".count)), count >= 0 else {
        return respond(
          connection, status: "404 Not Found", body: Array("not found\n".utf8),
          keepAlive: keepAlive)
      }
      guard count <= maximumLength else {
        return respond(
          connection, status: "413 Content Too Large", body: Array("too large\n".utf8),
          keepAlive: keepAlive)
      }
      respondHead(connection, status: "200 OK", length: count, keepAlive: keepAlive)
      connection.patternIndex = 0
      connection.patternRemaining = count
    case ("GET", _), ("HEAD", _):
      respond(
        connection, status: "404 Not Found", body: Array("not found\n".utf8), keepAlive: keepAlive)
    default:
      respond(
        connection, status: "405 Method Not Allowed", body: Array("method not allowed\n".utf8),
        keepAlive: keepAlive)
    }
  }

  private func headerValue(_ line: String, _ name: String) -> String? {
    guard line.hasPrefix(name) else { return nil }
    return line.dropFirst(name.count).split(separator: " ").joined()
  }

  private func respondHead(_ connection: Connection, status: String, length: Int, keepAlive: Bool) {
    let head =
      "HTTP/1.1 \(status)\r\nContent-Type: text/plain\r\nContent-Length: \(length)\r\n"
      + "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
    connection.output += Array(head.utf8)
    if !keepAlive { connection.closeAfterOutput = true }
  }

  private func respond(_ connection: Connection, status: String, body: [UInt8], keepAlive: Bool) {
    respondHead(connection, status: status, length: body.count, keepAlive: keepAlive)
    connection.output += body
  }

  private func statsText() -> String {
    let tcp = NetworkStatus.tcpCounters()
    return "segmentsSent \(tcp.segmentsSent)\nsegmentsRetransmitted \(tcp.segmentsRetransmitted)\n"
      + "timeouts \(tcp.timeouts)\nfastRetransmits \(tcp.fastRetransmits)\n"
      + "recoveries \(tcp.recoveries)\ntailLossProbes \(tcp.tailLossProbes)\n"
      + "spuriousRetransmissions \(tcp.spuriousRetransmissions)\n"
      + "recoveriesUndone \(tcp.recoveriesUndone)\nconnections \(connections.count)\n"
  }

  /// Without keep-alive the FIN goes after the response: we close first, so
  /// the client (and QEMU's user networking between us) keeps no TIME-WAIT.
  private func finish(_ token: Int) {
    guard let connection = connections.removeValue(forKey: token) else { return }
    poller.remove(connection.stream)
    connection.stream.close()
  }

  /// Closes keep-alive connections idle longer than `idleMilliseconds`, once a second.
  private func sweepIdle() {
    guard lastSweep.elapsed > .seconds(1) else { return }
    lastSweep = Instant.now
    var idle: [Int] = []
    for (token, connection) in connections
    where connection.lastActive.elapsed > .milliseconds(Int64(idleMilliseconds)) {
      idle.append(token)
    }
    for token in idle { finish(token) }
  }
}

do throws(NetError) {
  try Server().run()
} catch {
  print("httpd: cannot listen on port \(port)")
  exit(1)
}
