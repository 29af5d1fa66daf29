// The guest as a TCP client: connects to HOST PORT (arguments), sends a line,
// prints everything the server answers until it closes, and exits 0; exits 4
// with the error's name if anything fails.
import Kernel

let arguments = CommandLine.arguments
guard arguments.count == 3, let port = UInt16(arguments[2]) else {
  print("usage: netclient HOST PORT")
  exit(2)
}
do throws(NetError) {
  let stream = try TCPStream.connect(to: arguments[1], port: port, timeout: .seconds(20))
  print("connected")
  try stream.write("hello from the guest\n")
  var received: [UInt8] = []
  while true {
    let chunk = try stream.read(timeout: .seconds(20))
    if chunk.isEmpty { break }
    received += chunk
  }
  stream.close()
  print("received \(received.count) bytes: \(String(decoding: received, as: UTF8.self))")
} catch {
  print("netclient failed: \(error.name)")
  exit(4)
}
