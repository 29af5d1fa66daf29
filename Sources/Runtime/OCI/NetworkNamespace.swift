import FoundationEssentials
import HermitQEMU

#if canImport(Glibc)
  import Glibc
#endif

/// Wires a VM into a container's network namespace, on the host side.
///
/// podman (netavark) and CNI create the namespace before `create` and give it an
/// interface (`eth0`, e.g. 10.88.0.5/16 via 10.88.0.1); `-p` is a DNAT to that
/// address (PLATFORM.md), so the guest must own it. Inside the namespace this
/// creates a bridge `hbr0`, moves `eth0` into it, takes the address off `eth0`, and
/// adds a tap `htap0` for QEMU (`vhost=off`: there is no /dev/vhost-net). The guest
/// gets the address and gateway on its kernel command line (`ip=`, `gateway=`), and
/// frames reach it through the bridge. Commands run as `ip` in the namespace (ChildProcess).
struct NetworkNamespace {
  /// The namespace path, e.g. /run/netns/netns-<uuid>.
  let path: String

  static let tapName = "htap0"
  static let bridgeName = "hbr0"

  /// What the guest must be told.
  struct Addressing: Equatable {
    /// Interface that held the address.
    var interface: String
    /// `A.B.C.D/N`.
    var address: String
    var gateway: String?
  }

  /// What `setUp` did.
  enum Outcome: Equatable {
    /// The bridge and tap are up; the guest must be told this.
    case wired(Addressing)
    /// The namespace has no IPv4 address (e.g. `--network none`: only `lo`): the VM
    /// gets no NIC.
    case noAddress
    /// The namespace may not belong to the container alone; nothing was changed.
    case refused(reason: String)
  }

  /// Reads the first global IPv4 address and the default gateway, then builds the
  /// bridge and tap, but only in a namespace that provably belongs to container
  /// `id` alone (see NetworkNamespace+Ownership.swift) and holds no bridge yet.
  func setUp(for id: String, in store: ContainerStore) throws -> Outcome {
    guard access(path, F_OK) == 0 || errno != ENOENT else {
      throw RuntimeError.network("network namespace \(path) does not exist")
    }
    if let reason = refusal(for: id, in: store) { return .refused(reason: reason) }
    let links = try self.links()
    if links.contains(where: { $0.ifname == Self.bridgeName }) {
      return .refused(reason: "it already has \(Self.bridgeName)")
    }
    guard let addressing = try addressing(links) else { return .noAddress }
    let bridge = Self.bridgeName
    let tap = Self.tapName
    let commands: [[String]] = [
      ["tuntap", "add", "dev", tap, "mode", "tap"],
      ["link", "add", bridge, "type", "bridge"],
      ["addr", "flush", "dev", addressing.interface],
      ["link", "set", addressing.interface, "master", bridge],
      ["link", "set", tap, "master", bridge],
      ["link", "set", tap, "up"],
      ["link", "set", bridge, "up"],
    ]
    for arguments in commands { _ = try ip(arguments) }
    return .wired(addressing)
  }

  /// One interface as `ip -j addr show` lists it.
  struct Link: Decodable {
    struct Address: Decodable {
      var family: String
      var local: String
      var prefixlen: Int
    }
    var ifname: String
    var addr_info: [Address]?
  }

  /// The namespace's interfaces and their addresses.
  func links() throws -> [Link] {
    try JSONDecoder().decode([Link].self, from: try ip(["-j", "addr", "show"]))
  }

  /// The address of the namespace's first non-loopback interface with IPv4.
  func addressing(_ links: [Link]) throws -> Addressing? {
    struct Route: Decodable {
      var gateway: String?
      var dev: String?
    }
    guard
      let link = links.first(where: {
        $0.ifname != "lo" && ($0.addr_info ?? []).contains { $0.family == "inet" }
      }),
      let address = link.addr_info?.first(where: { $0.family == "inet" })
    else { return nil }
    let routes =
      (try? JSONDecoder().decode([Route].self, from: try ip(["-j", "route", "show", "default"])))
      ?? []
    return Addressing(
      interface: link.ifname, address: "\(address.local)/\(address.prefixlen)",
      gateway: routes.first?.gateway)
  }

  /// Runs `ip ARGS` inside the namespace; returns its stdout.
  private func ip(_ arguments: [String]) throws -> Data { try inside(["ip"] + arguments) }

  /// Runs `COMMAND` inside the namespace (ChildProcess joins it with setns
  /// before exec); returns its stdout.
  func inside(_ command: [String]) throws -> Data {
    guard let executable = ChildProcess.resolveExecutable(command[0]) else {
      throw RuntimeError.network("\(command[0]) is not installed")
    }
    var options = ChildProcess.Options()
    options.networkNamespace = path
    let captured: ChildProcess.Captured
    do {
      captured = try ChildProcess.capture(path: executable, argv: command, options: options)
    } catch {
      throw RuntimeError.network("cannot run \(command[0]) in \(path): \(error)")
    }
    guard captured.status == 0 else {
      let text = captured.errorText.isEmpty ? "exit status \(captured.status)" : captured.errorText
      throw RuntimeError.network("\(command.joined(separator: " ")) in \(path): \(text)")
    }
    return Data(captured.stdout)
  }
}
