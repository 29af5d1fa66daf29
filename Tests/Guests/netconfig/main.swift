// Brings the network up (DHCP, or ip=/gateway= from the command line), prints
// the address, then stays up for the number of seconds in its first argument
// (default 30) so that a test can ping it. The argument is read first, so that
// a run without a NIC (bench/netboot.sh's unnetworked anchor) does all the
// work but the network's.
import Kernel

let seconds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 30 : 30
do throws(NetError) {
  let configuration = try NetworkStatus.configuration()
  print("configured \(configuration.address.text)/\(configuration.prefixLength)")
} catch {
  print("no network")
  exit(3)
}
sleep(milliseconds: seconds * 1000)
