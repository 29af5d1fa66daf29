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
//
// Functions are kept as packed addresses ([UInt32]), not [PCIFunction]: Embedded
// Swift emits each array element type's storage metadata into the module's one
// data section, which every app links, device or not.

enum PCIBus {
  static let devicesPerBus: UInt8 = 32
  static let functionsPerDevice: UInt8 = 8
  static let absent: UInt16 = 0xFFFF

  nonisolated(unsafe) static var scanned = false
  /// The functions found, as PCIFunction.packed.
  nonisolated(unsafe) static var found: [UInt32] = []

  /// Every function on the machine, in the order the scan found them.
  static var functions: [UInt32] {
    if scanned { return found }
    ACPI.initialize()  // the MCFG, if any, switches configuration access to ECAM
    detectMicrovmPCIe()  // so does microvm's host bridge, which has no MCFG
    var list: [UInt32] = []
    var visited: [UInt64] = [0, 0, 0, 0]  // one bit per bus number
    scan(bus: 0, into: &list, visited: &visited)
    assignUnassignedBARs(list)
    found = list
    scanned = true
    return list
  }

  /// The first function with this vendor and device ID.
  static func find(vendor: UInt16, device: UInt16) -> PCIFunction? {
    for packed in functions {
      let function = PCIFunction(packed: packed)
      if function.vendor == vendor && function.deviceIdentifier == device { return function }
    }
    return nil
  }

  private static func scan(bus: UInt8, into found: inout [UInt32], visited: inout [UInt64]) {
    let word = Int(bus) / 64
    let bit = UInt64(1) << UInt64(bus % 64)
    guard visited[word] & bit == 0 else { return }  // a misprogrammed bridge must not loop
    visited[word] |= bit
    for device in 0..<devicesPerBus {
      let first = PCIFunction(bus: bus, device: device, function: 0)
      guard first.vendor != absent else { continue }
      let count = first.isMultiFunction ? functionsPerDevice : 1
      for number in 0..<count {
        let function = PCIFunction(bus: bus, device: device, function: number)
        guard function.vendor != absent else { continue }
        found.append(function.packed)
        if function.isBridge {
          let secondary = function.read8(PCIFunction.secondaryBus)
          if secondary != 0 { scan(bus: secondary, into: &found, visited: &visited) }
        }
      }
    }
  }
}
