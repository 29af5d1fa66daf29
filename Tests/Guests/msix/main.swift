// MSI-X end to end: finds QEMU's e1000e (Intel 82574, 8086:10d3), routes its
// MSI-X entry 0 to a handler through the kernel, maps every "other" cause to
// that entry (IVAR), unmasks link-status change (IMS) and raises it by software
// (ICS); prints how many interrupts the handler saw. Once: QEMU's e1000e sends
// a cause again only after a message went out without it (msi_causes_pending).
// Registers: Intel 82574 GbE Controller datasheet §10.2.4 (ICR 0xC0, ICS 0xC8,
// IMS 0xD0, IMC 0xD8, IVAR 0xE4, §10.2.4.9: other cause vector in bits 19:16,
// bit 19 valid).
import Kernel
import _Volatile

let icr: UInt = 0xC0
let ics: UInt = 0xC8
let ims: UInt = 0xD0
let ivar: UInt = 0xE4
let linkStatusChange: UInt32 = 1 << 2  // LSC
let otherCause: UInt32 = 1 << 24  // "Other" (MSI-X mode)
let otherToVector0: UInt32 = 0x8 << 16  // IVAR: other → valid, vector 0

nonisolated(unsafe) var interrupts = 0
var found: PCIDeviceInfo? = nil
PCIDeviceInfo.forEach { info in
  if info.vendorID == 0x8086 && info.deviceID == 0x10D3 { found = info }
}
guard let nic = found, let registers = nic.mapMemoryBAR(0) else {
  print("no e1000e")
  exit(2)
}
func write(_ offset: UInt, _ value: UInt32) {
  VolatileMappedRegister<UInt32>(unsafeBitPattern: registers + offset).store(value)
}
func read(_ offset: UInt) -> UInt32 {
  VolatileMappedRegister<UInt32>(unsafeBitPattern: registers + offset).load()
}
let route = nic.onInterrupt(name: "e1000e") {
  _ = read(icr)  // reading ICR clears the causes
  interrupts += 1
}
print("route \(route.map { "\($0)" } ?? "none")")
write(ivar, otherToVector0)
write(ims, linkStatusChange | otherCause)
write(ics, linkStatusChange)
sleep(milliseconds: 50)
print("msix interrupts \(interrupts)")
