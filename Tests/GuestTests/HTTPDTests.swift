import Foundation
import HermitOCI
import HermitQEMU
import TestSupport
import Testing

/// The seed's third demo under TCG: examples/httpd reached with curl through QEMU's
/// user networking (a forwarded loopback port), and the guest as a TCP client.
@Suite(.serialized) struct HTTPDTests {
  /// Boots httpd with `hostPort` forwarded to its port 8000 and runs `body`
  /// once it listens.
  func withHTTPD(
    nic: VMConfiguration.NIC = .virtio, machine: GuestBoot.PCMachine? = nil,
    _ body: @escaping (_ hostPort: Int) throws -> Void
  ) throws -> GuestRun {
    let hostPort = try Loopback.freePort()
    let ports = [PortMapping(hostAddress: "127.0.0.1", hostPort: hostPort, guestPort: 8000)]
    return try GuestBoot.boot(
      "httpd", network: .user(ports: ports), nic: nic, machine: machine, timeout: 240
    ) { output in
      try #require(
        GuestBoot.waitForOutput(output, containing: "Now listening on port 8000", timeout: 60))
      try body(hostPort)
    }
  }

  @Test func curlGetsHelloWorldAndTheLogShowsTheSeedLines() throws {
    var hello = ""
    var missing = ""
    let run = try withHTTPD { port in
      hello = try curl("http://127.0.0.1:\(port)/hello").text
      missing = try curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/nope")
        .text
    }
    #expect(hello == "hello world")
    #expect(missing == "404")
    for line in [
      "[0][INFO] DHCP config acquired!", "[0][INFO] IP address: 10.0.2.15/24",
      "[0][INFO] Default gateway: 10.0.2.2", "[0][INFO] DNS server 0: 10.0.2.3",
      "Now listening on port 8000", "[httpd] GET /hello HTTP/1.1", "[httpd] GET /nope HTTP/1.1",
    ] {
      #expect(run.lines.contains(line), "\(line) missing from\n\(run.output)")
    }
  }

  /// The same through each virtio transport the runtime offers (`--nic
  /// virtio-mmio`: microvm; `--nic virtio-pci`: microvm with PCIe).
  @Test(arguments: [VMConfiguration.NIC.virtioMMIO, .virtioPCI])
  func curlGetsHelloWorldOverEachVirtioTransport(nic: VMConfiguration.NIC) throws {
    var hello = ""
    let run = try withHTTPD(nic: nic) { port in
      hello = try curl("http://127.0.0.1:\(port)/hello").text
    }
    #expect(hello == "hello world", "\(run.output)")
    #expect(run.lines.contains("[httpd] GET /hello HTTP/1.1"), "\(run.output)")
  }

  @Test func aOneMegabyteResponseArrivesIntact() throws {
    var body = Data()
    _ = try withHTTPD { port in
      body = try curl("http://127.0.0.1:\(port)/bytes/1048576").data
    }
    let expected = Data((0..<1_048_576).map { UInt8(ascii: "0") + UInt8($0 % 10) })
    #expect(body.count == 1_048_576)
    #expect(Digest.sha256(body) == Digest.sha256(expected))
  }

  /// Without keep-alive httpd's answer carries its FIN (TCPStream.writeAndClose):
  /// a megabyte takes many segments, and only the last one closes.
  @Test func aOneMegabyteResponseWithConnectionCloseArrivesIntact() throws {
    var body = Data()
    var headers = ""
    _ = try withHTTPD { port in
      let result = try curl(
        "-H", "Connection: close", "-D", "/dev/stderr", "http://127.0.0.1:\(port)/bytes/1048576")
      body = result.data
      headers = result.combined
    }
    let expected = Data((0..<1_048_576).map { UInt8(ascii: "0") + UInt8($0 % 10) })
    #expect(body.count == 1_048_576)
    #expect(Digest.sha256(body) == Digest.sha256(expected))
    #expect(headers.contains("Connection: close"), "\(headers.suffix(300))")
  }

  @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
    var output = ""
    let run = try withHTTPD { port in
      let url = "http://127.0.0.1:\(port)/hello"
      output = try curl("-v", url, url, url).combined
    }
    #expect(output.components(separatedBy: "hello world").count == 4, "\(output)")
    #expect(output.contains("Re-using existing connection"), "\(output)")
    #expect(run.lines.filter { $0 == "[httpd] GET /hello HTTP/1.1" }.count == 3)
  }

  @Test func aHundredConcurrentConnectionsAreAllAnswered() throws {
    let codes = CodeList()
    _ = try withHTTPD { port in
      DispatchQueue.concurrentPerform(iterations: 100) { _ in
        let code =
          (try? curl(
            "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/hello"
          ).text) ?? "error"
        codes.append(code)
      }
    }
    #expect(codes.all.count == 100)
    #expect(codes.all.allSatisfy { $0 == "200" }, "\(codes.all)")
  }

  @Test func anUploadIsAnsweredWithItsLengthAndSHA256() throws {
    var answer = ""
    let body = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-upload-\(UUID().uuidString.prefix(8))")
    try body.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let run = try withHTTPD { port in
      answer = try curl("--data-binary", "@\(file.path)", "http://127.0.0.1:\(port)/upload").text
    }
    #expect(answer == "3000000 \(Digest.sha256(body).hex)\n", "\(run.output)")
    #expect(run.lines.contains("[httpd] POST /upload HTTP/1.1"))
  }

  @Test func statsAnswersTheTCPCounters() throws {
    var stats = ""
    _ = try withHTTPD { port in
      _ = try curl("http://127.0.0.1:\(port)/bytes/300000")
      stats = try curl("http://127.0.0.1:\(port)/stats").text
    }
    let values = Dictionary(
      stats.split(separator: "\n").compactMap { line -> (String, Int)? in
        let parts = line.split(separator: " ")
        guard parts.count == 2, let value = Int(parts[1]) else { return nil }
        return (String(parts[0]), value)
      }, uniquingKeysWith: { $1 })
    for name in ["segmentsRetransmitted", "timeouts", "fastRetransmits", "recoveries"] {
      #expect(values[name] != nil, "\(name) missing: \(stats)")
    }
    #expect((values["segmentsSent"] ?? 0) > 200, "\(stats)")
  }

  /// Issue 20: idle keep-alive connections cost no thread and no buffer, so a
  /// 64 MiB guest holds a thousand and still answers; a response larger than
  /// its memory streams, and one past the limit is refused with a status.
  @Test func aThousandIdleConnectionsThenHelloAndAHugeResponseIsNoPanic() throws {
    var report = ""
    let run = try withHTTPD { port in
      let script = """
        import resource, socket, sys, urllib.request, urllib.error
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        port = int(sys.argv[1])
        socks = []
        for i in range(1000):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(b"GET /hello HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            data = b""
            while b"hello world" not in data:
                data += s.recv(4096)
            socks.append(s)
        print("held", len(socks))
        print(urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=30).read().decode())
        stats = urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=30).read().decode()
        print([l for l in stats.split("\\n") if l.startswith("connections")][0])
        big = socket.create_connection(("127.0.0.1", port), timeout=30)
        big.sendall(b"GET /bytes/200000000 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        got = 0
        while got < 2_000_000:
            chunk = big.recv(65536)
            if not chunk: break
            got += len(chunk)
        big.close()
        print("streamed", got >= 2_000_000)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bytes/2000000000000", timeout=30)
        except urllib.error.HTTPError as error:
            print("refused", error.code)
        print(urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=30).read().decode())
        """
      report = try python(script, "\(port)")
    }
    #expect(report.contains("held 1000"), "\(report)")
    #expect(report.contains("connections 1001"), "\(report)")
    #expect(report.contains("streamed True"), "\(report)")
    #expect(report.contains("refused 413"), "\(report)")
    #expect(report.components(separatedBy: "hello world").count == 3, "\(report)")
    #expect(!run.output.contains("PANIC"), "\(run.output.suffix(2000))")
  }

  @Test func theGuestConnectsToAServerOnTheHost() throws {
    // slirp maps the gateway 10.0.2.2 to the host's loopback.
    let server = try LoopbackEchoServer(reply: "greetings from the host\n")
    defer { server.stop() }
    let run = try GuestBoot.boot(
      "netclient", append: "-- 10.0.2.2 \(server.port)", network: .user(ports: []), timeout: 120)
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.contains("received 24 bytes: greetings from the host"), "\(run.output)")
    #expect(server.received == "hello from the guest\n")
  }

  @Test func connectingToAClosedPortIsRefused() throws {
    let port = try Loopback.freePort()
    let run = try GuestBoot.boot(
      "netclient", append: "-- 10.0.2.2 \(port)", network: .user(ports: []), timeout: 120)
    #expect(run.status == .exited(4), "\(run.output)")
    #expect(run.output.contains("netclient failed: connectionRefused"), "\(run.output)")
    #expect(!run.output.contains("connected\n"), "connect must fail, not the first write")
  }
}

/// Strings appended from many threads.
final class CodeList: @unchecked Sendable {
  private let lock = NSLock()
  private var codes: [String] = []

  func append(_ code: String) {
    lock.lock()
    codes.append(code)
    lock.unlock()
  }

  var all: [String] {
    lock.lock()
    defer { lock.unlock() }
    return codes
  }
}

struct CurlResult {
  var data: Data
  var combined: String
  var text: String { String(decoding: data, as: UTF8.self) }
}

/// Runs curl with a time limit; throws if curl fails.
func curl(_ arguments: String...) throws -> CurlResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
  process.arguments = ["-s", "-S", "-m", "60"] + arguments
  let output = Pipe()
  let errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  let messages = errors.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let combined = String(decoding: data + messages, as: UTF8.self)
  guard process.terminationStatus == 0 else {
    throw CurlFailed(status: process.terminationStatus, output: combined)
  }
  return CurlResult(data: data, combined: combined)
}

/// Runs a python3 script; its stdout and stderr together.
func python(_ script: String, _ arguments: String...) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
  process.arguments = ["-c", script] + arguments
  let output = Pipe()
  process.standardOutput = output
  process.standardError = output
  try process.run()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return String(decoding: data, as: UTF8.self)
}

struct CurlFailed: Error, CustomStringConvertible {
  var status: Int32
  var output: String
  var description: String { "curl exited \(status): \(output)" }
}

/// A one-connection TCP server on 127.0.0.1: reads one line, answers `reply`,
/// closes.
final class LoopbackEchoServer: @unchecked Sendable {
  let port: Int
  private let fd: Int32
  private let lock = NSLock()
  private var line = ""
  private let done = DispatchSemaphore(value: 0)

  var received: String {
    _ = done.wait(timeout: .now() + 5)
    lock.lock()
    defer { lock.unlock() }
    return line
  }

  init(reply: String) throws {
    let (listener, port) = try Loopback.listen()
    fd = listener
    self.port = port
    Thread.detachNewThread { [self] in serve(listener, reply: reply) }
  }

  private func serve(_ listener: Int32, reply: String) {
    defer { done.signal() }
    let connection = accept(listener, nil, nil)
    guard connection >= 0 else { return }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 256)
    while !bytes.contains(10) {
      let count = read(connection, &buffer, buffer.count)
      if count <= 0 { break }
      bytes += buffer[..<count]
    }
    lock.lock()
    line = String(decoding: bytes, as: UTF8.self)
    lock.unlock()
    _ = reply.withCString { write(connection, $0, strlen($0)) }
    close(connection)
  }

  func stop() {
    shutdown(fd, Int32(SHUT_RDWR))
    close(fd)
  }
}
