// Enumeration: which functions exist, by a depth-first scan from bus 0
// (PCI-to-PCI Bridge 1.2 §3.2.5.3, and PCI Local Bus 3.0 §6.1: "a vendor ID of
// FFFFh ... is returned on reads of non-existent devices").
//
// - Each of the 32 device numbers on a bus is probed at function 0; functions
//   1–7 only when function 0's header type has bit 7 (multi-function) set.
// - A PCI-to-PCI bridge (header type 1) leads to the bus number in its
//   secondary bus register, which the firmware assigned.
// The scan runs once, on the first driver's request (the network's, at the
// first socket): apps that use no device never touch PCI.

enum PCIBus {
  static let devicesPerBus: UInt8 = 32
  static let functionsPerDevice: UInt8 = 8
  static let absent: UInt16 = 0xFFFF

  nonisolated(unsafe) static var scanned: [PCIFunction]? = nil

  /// Every function on the machine, in bus/device/function order of discovery.
  static var functions: [PCIFunction] {
    if let scanned { return scanned }
    ACPI.initialize()  // the MCFG, if any, switches configuration access to ECAM
    var found: [PCIFunction] = []
    var visited = [Bool](repeating: false, count: 256)
    scan(bus: 0, into: &found, visited: &visited)
    assignUnassignedBARs(found)
    scanned = found
    return found
  }

  /// The first function with this vendor and device ID.
  static func find(vendor: UInt16, device: UInt16) -> PCIFunction? {
    functions.first { $0.vendor == vendor && $0.deviceIdentifier == device }
  }

  private static func scan(bus: UInt8, into found: inout [PCIFunction], visited: inout [Bool]) {
    guard !visited[Int(bus)] else { return }  // a misprogrammed bridge must not loop
    visited[Int(bus)] = true
    for device in 0..<devicesPerBus {
      let first = PCIFunction(bus: bus, device: device, function: 0)
      guard first.vendor != absent else { continue }
      let count = first.isMultiFunction ? functionsPerDevice : 1
      for number in 0..<count {
        let function = PCIFunction(bus: bus, device: device, function: number)
        guard function.vendor != absent else { continue }
        found.append(function)
        if function.isBridge {
          let secondary = function.read8(PCIFunction.secondaryBus)
          if secondary != 0 { scan(bus: secondary, into: &found, visited: &visited) }
        }
      }
    }
  }
}
