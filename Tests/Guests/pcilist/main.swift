// Lists the PCI functions the kernel's scan finds, one line each, then their
// BARs (kind, size, address) and capabilities, like a terse lspci:
//   access ports
//   00:03.0 10ec:8139 class 02.00 irq 11 caps -
//     bar1 mem32 size 0x100 at 0xfebf1000
import Kernel

func hex(_ value: some BinaryInteger, width: Int) -> String {
  let digits = String(value, radix: 16)
  return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

print("access \(PCIDeviceInfo.configurationAccess)")
PCIDeviceInfo.forEach { info in
  var line =
    "\(hex(info.bus, width: 2)):\(hex(info.device, width: 2)).\(info.functionNumber)"
    + " \(hex(info.vendorID, width: 4)):\(hex(info.deviceID, width: 4))"
    + " class \(hex(info.classCode, width: 2)).\(hex(info.subclass, width: 2))"
  line += " irq " + (info.interruptLine.map { String($0) } ?? "-")
  line +=
    " caps "
    + (info.capabilities.isEmpty
      ? "-" : info.capabilities.map { hex($0, width: 2) }.joined(separator: ","))
  if info.msixTableSize > 0 { line += " msix \(info.msixTableSize)" }
  print(line)
  info.forEachBAR { bar in
    print(
      "  bar\(bar.index) \(bar.kind) size 0x\(hex(bar.size, width: 1)) at 0x\(hex(bar.address, width: 1))\(bar.prefetchable ? " prefetchable" : "")"
    )
  }
}
