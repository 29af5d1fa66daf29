import FoundationEssentials
import HermitQEMU

/// A tap device on a host bridge for `run --net tap`: created before boot, removed
/// after. The guest reaches the bridge's network (e.g. a dnsmasq serving DHCP on
/// it); the bridge is `$HERMIT_BRIDGE`, else `hermit0`, and must exist.
struct TapDevice {
  let name: String
  let bridge: String

  /// The bridge `run --net tap` attaches to.
  static var defaultBridge: String {
    ProcessInfo.processInfo.environment["HERMIT_BRIDGE"] ?? "hermit0"
  }

  /// A tap name for container `id`: `ht` + 8 hex digits (IFNAMSIZ is 16).
  static func name(for id: String) -> String {
    let hex = String(FNV1a.hash(id), radix: 16)
    return "ht" + String(repeating: "0", count: 8 - hex.count) + hex
  }

  /// Creates the tap and enslaves it to the bridge.
  static func create(for id: String, bridge: String = defaultBridge) throws -> TapDevice {
    guard FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)/bridge") else {
      throw RuntimeError.network(
        "bridge \(bridge) not found (create it, set HERMIT_BRIDGE, or use --net tap:IFNAME)")
    }
    let tap = TapDevice(name: name(for: id), bridge: bridge)
    try ip(["tuntap", "add", "dev", tap.name, "mode", "tap"])
    do {
      try ip(["link", "set", tap.name, "master", bridge])
      try ip(["link", "set", tap.name, "up"])
    } catch {
      tap.remove()
      throw error
    }
    return tap
  }

  /// Deletes the tap (best effort).
  func remove() {
    try? Self.ip(["link", "delete", name])
  }

  private static func ip(_ arguments: [String]) throws {
    guard let executable = ChildProcess.resolveExecutable("ip") else {
      throw RuntimeError.network("ip is not installed (iproute2)")
    }
    let captured: ChildProcess.Captured
    do {
      captured = try ChildProcess.capture(path: executable, argv: ["ip"] + arguments)
    } catch {
      throw RuntimeError.network("cannot run ip: \(error)")
    }
    guard captured.status == 0 else {
      throw RuntimeError.network("ip \(arguments.joined(separator: " ")): \(captured.errorText)")
    }
  }
}
