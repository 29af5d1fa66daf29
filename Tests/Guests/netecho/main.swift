// TCP echo on port 7000: every connection gets back what it sends, until it
// closes its side. The checksum offload test pushes a megabyte through it, so
// that the bytes cross the NIC in both directions.
import Kernel

let port: UInt16 = 7000

func echo(_ stream: TCPStream) {
  do throws(NetError) {
    while true {
      let chunk = try stream.read(maximum: 65536, timeout: .seconds(30))
      if chunk.isEmpty { break }
      try stream.write(chunk)
    }
  } catch {
    print("netecho: \(error)")
  }
  stream.close()
}

do throws(NetError) {
  let listener = try TCPListener(port: port, backlog: 8)
  print("echo listening on port \(port)")
  while true {
    let stream = try listener.accept()
    _ = Thread.spawn { echo(stream) }
  }
} catch {
  print("netecho: cannot listen on port \(port)")
  exit(1)
}
