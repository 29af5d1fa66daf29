import Foundation
import HermitOCI
import HermitQEMU
import Testing

/// virtio-net checksum offload (VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM) on a
/// tap inside a namespace the test creates: QEMU offers both only when its
/// backend takes the virtio-net header as is (a tap does, user networking does
/// not). The guest's TCP segments leave with partial checksums that QEMU and the
/// host complete, and the host's arrive flagged (NEEDS_CSUM or DATA_VALID) and
/// are not verified again; the bytes must still arrive exactly.
@Suite(.serialized) struct ChecksumOffloadTests {
  static let transports: [VMConfiguration.NIC] = [.virtioMMIO, .virtioPCI]

  @Test(arguments: transports)
  func aOneMegabyteResponseOverATapIsIntactWithOffloadNegotiated(nic: VMConfiguration.NIC) throws {
    let namespace = try TestNamespace(hostAddress: "192.168.79.1/24")
    defer { namespace.remove() }
    var fetched: (status: Int32, output: String) = (-1, "")
    let run = try GuestBoot.boot(
      "httpd", append: "ip=192.168.79.2/24 gateway=192.168.79.1",
      network: .tap(name: namespace.tap),
      nic: nic, namespace: namespace.name, timeout: 180
    ) { output in
      try #require(
        GuestBoot.waitForOutput(output, containing: "Now listening on port 8000", timeout: 60))
      fetched = namespace.run([
        "bash", "-c",
        "curl -s -S -m 60 http://192.168.79.2:8000/bytes/1048576 | sha256sum | cut -d' ' -f1",
      ])
    }
    let expected = Data((0..<1_048_576).map { UInt8(ascii: "0") + UInt8($0 % 10) })
    #expect(run.lines.contains("[0][INFO] virtio-net: checksum offload tx rx"), "\(run.output)")
    #expect(fetched.status == 0, "\(fetched.output)")
    #expect(
      fetched.output.trimmingCharacters(in: .whitespacesAndNewlines)
        == Digest.sha256(expected).hex, "\(run.output)")
  }

  @Test(arguments: transports)
  func aMegabyteEchoedByTheGuestComesBackByteExact(nic: VMConfiguration.NIC) throws {
    let namespace = try TestNamespace(hostAddress: "192.168.82.1/24")
    defer { namespace.remove() }
    // Sends 1 MiB of random bytes while reading the echo; prints both digests.
    let client = """
      import hashlib, os, socket, threading
      data = os.urandom(1 << 20)
      s = socket.create_connection(("192.168.82.2", 7000), timeout=60)
      def send():
          s.sendall(data)
          s.shutdown(socket.SHUT_WR)
      threading.Thread(target=send).start()
      back = bytearray()
      while True:
          chunk = s.recv(65536)
          if not chunk:
              break
          back += chunk
      print(hashlib.sha256(data).hexdigest(), hashlib.sha256(back).hexdigest(), len(back))
      """
    var echoed: (status: Int32, output: String) = (-1, "")
    let run = try GuestBoot.boot(
      "netecho", append: "ip=192.168.82.2/24 gateway=192.168.82.1",
      network: .tap(name: namespace.tap), nic: nic, namespace: namespace.name, timeout: 180
    ) { output in
      try #require(
        GuestBoot.waitForOutput(output, containing: "echo listening on port 7000", timeout: 60))
      echoed = namespace.run(["python3", "-c", client])
    }
    #expect(run.lines.contains("[0][INFO] virtio-net: checksum offload tx rx"), "\(run.output)")
    let fields = echoed.output.split(separator: " ").map { String($0) }
    #expect(echoed.status == 0 && fields.count == 3, "\(echoed.output)\n\(run.output)")
    if fields.count == 3 {
      #expect(fields[0] == fields[1], "\(echoed.output)")
      #expect(fields[2].trimmingCharacters(in: .whitespacesAndNewlines) == "1048576")
    }
  }
}
