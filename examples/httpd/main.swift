// The seed's third demo: an HTTP/1.1 server on port 8000, one thread per
// connection, keep-alive, Content-Length on every response.
//
//   GET /hello          -> "hello world"
//   GET /bytes/N        -> N bytes (0-9 repeating), for large transfers
//   anything else       -> 404
import Kernel

let port: UInt16 = 8000

/// Reads one request head (up to the blank line); nil when the peer closed.
func readRequest(_ stream: TCPStream, _ pending: inout [UInt8]) throws(NetError) -> [UInt8]? {
  while true {
    if let end = headEnd(pending) {
      let head = Array(pending[..<end])
      pending.removeFirst(end + 4)
      return head
    }
    let chunk = try stream.read(maximum: 4096, timeout: .seconds(30))
    if chunk.isEmpty { return nil }
    pending += chunk
    if pending.count > 65536 { return nil }  // no head is that long
  }
}

func headEnd(_ bytes: [UInt8]) -> Int? {
  guard bytes.count >= 4 else { return nil }
  for index in 0...(bytes.count - 4)
  where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13
    && bytes[index + 3] == 10
  {
    return index
  }
  return nil
}

/// Without keep-alive the FIN goes with the response: we close first, so the
/// client (and QEMU's user networking between us) keeps no TIME-WAIT.
func respond(_ stream: TCPStream, status: String, body: [UInt8], keepAlive: Bool) throws(NetError) {
  let head =
    "HTTP/1.1 \(status)\r\nContent-Type: text/plain\r\nContent-Length: \(body.count)\r\n"
    + "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
  if keepAlive {
    try stream.write(Array(head.utf8) + body)
  } else {
    try stream.writeAndClose(Array(head.utf8) + body)
  }
}

func serve(_ stream: TCPStream) {
  var pending: [UInt8] = []
  do throws(NetError) {
    while let head = try readRequest(stream, &pending) {
      let text = String(decoding: head, as: UTF8.self)
      let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
      let requestLine = lines.first.map(String.init) ?? ""
      print("[httpd] \(requestLine)")
      let parts = requestLine.split(separator: " ")
      let version = parts.count > 2 ? String(parts[2]) : "HTTP/1.0"
      var keepAlive = version == "HTTP/1.1"
      for line in lines.dropFirst() {
        let lower = line.lowercased()
        if lower.hasPrefix("connection:") {
          let value = lower.dropFirst("connection:".count).split(separator: " ").joined()
          keepAlive = value == "keep-alive" || (keepAlive && value != "close")
        }
      }
      let path = parts.count > 1 ? String(parts[1]) : "/"
      if parts.first != "GET" && parts.first != "HEAD" {
        try respond(
          stream, status: "405 Method Not Allowed", body: Array("method not allowed\n".utf8),
          keepAlive: keepAlive)
      } else if path == "/hello" {
        try respond(stream, status: "200 OK", body: Array("hello world".utf8), keepAlive: keepAlive)
      } else if path.hasPrefix("/bytes/"), let count = Int(path.dropFirst("/bytes/".count)),
        count >= 0, count <= 64 << 20
      {
        var body = [UInt8](repeating: 0, count: count)
        for index in 0..<count { body[index] = UInt8(ascii: "0") + UInt8(index % 10) }
        try respond(stream, status: "200 OK", body: body, keepAlive: keepAlive)
      } else {
        try respond(
          stream, status: "404 Not Found", body: Array("not found\n".utf8), keepAlive: keepAlive)
      }
      if !keepAlive { break }
    }
  } catch {
    // The peer went away or stalled: drop the connection.
  }
  stream.close()
}

do throws(NetError) {
  let listener = try TCPListener(port: port, backlog: 128)
  print("Now listening on port \(port)")
  while true {
    let stream = try listener.accept()
    _ = Thread.spawn { serve(stream) }
  }
} catch {
  print("httpd: cannot listen on port \(port)")
  exit(1)
}
