// Realtek RTL8139 (RTL8139C(L) datasheet 1.4 and its Programming Guide 0.1),
// the PCI NIC the seed's Hermit drives on QEMU's `pc`. Registers through the
// memory BAR (BAR1, 256 bytes; BAR0 is the same block in I/O space).
//
// - Receive: one ring of 8 KiB (+16, +1500 so that with WRAP the chip writes a
//   frame past the end linearly instead of splitting it). Each frame is a
//   4-byte header (status, length including the 4-byte CRC), the frame, padded
//   to a 4-byte boundary. The driver tells the chip how far it has read
//   through CAPR, 16 bytes behind (Programming Guide §"Receive": "CAPR = read
//   pointer - 0x10"); CR.BUFE says the ring is empty.
// - Transmit: four descriptors used round robin (the chip sends them in
//   order): TSAD holds a buffer's physical address, writing the size to TSD
//   (with OWN clear) starts it; the chip sets OWN once it has read the buffer.
// - DMA addresses are 32-bit: buffers must be below 4 GiB (physical = virtual).
import _Volatile

final class RTL8139: NetworkDevice {
  static let vendorID: UInt16 = 0x10EC  // Realtek
  static let deviceID: UInt16 = 0x8139

  // Registers (datasheet §5, Table "Register Descriptions").
  static let idr0 = 0x00  // IDR0–5: the MAC address
  static let tsd0 = 0x10  // TSD0–3: transmit status of descriptor 0–3, 32 bits each
  static let tsad0 = 0x20  // TSAD0–3: transmit start address of descriptor 0–3
  static let rbstart = 0x30  // receive buffer start (physical), 32 bits
  static let cr = 0x37  // command, 8 bits
  static let capr = 0x38  // current address of packet read, 16 bits
  static let cbr = 0x3A  // current buffer address: where the chip writes next, 16 bits
  static let imr = 0x3C  // interrupt mask, 16 bits
  static let isr = 0x3E  // interrupt status, 16 bits, write 1 to clear
  static let tcr = 0x40  // transmit configuration, 32 bits
  static let rcr = 0x44  // receive configuration, 32 bits
  static let config1 = 0x52  // power management and driver-load bits
  // CR bits.
  static let crReset: UInt8 = 1 << 4  // RST: resets, reads 1 until done
  static let crReceiverEnable: UInt8 = 1 << 3  // RE
  static let crTransmitterEnable: UInt8 = 1 << 2  // TE
  static let crBufferEmpty: UInt8 = 1 << 0  // BUFE: nothing left in the receive ring
  // ISR/IMR bits.
  static let intReceiveOK: UInt16 = 1 << 0  // ROK
  static let intReceiveError: UInt16 = 1 << 1  // RER
  static let intTransmitOK: UInt16 = 1 << 2  // TOK
  static let intTransmitError: UInt16 = 1 << 3  // TER
  static let intReceiveOverflow: UInt16 = 1 << 4  // RXOVW: ring full
  static let intLinkChange: UInt16 = 1 << 5  // PUN/LinkChg
  static let intFIFOOverflow: UInt16 = 1 << 6  // FOVW
  static let interruptMask =
    intReceiveOK | intReceiveError | intTransmitOK | intTransmitError | intReceiveOverflow
    | intLinkChange | intFIFOOverflow
  // RCR bits.
  static let rcrPhysicalMatch: UInt32 = 1 << 1  // APM: frames to our MAC
  static let rcrMulticast: UInt32 = 1 << 2  // AM
  static let rcrBroadcast: UInt32 = 1 << 3  // AB: DHCP offers may be broadcast
  static let rcrWrap: UInt32 = 1 << 7  // WRAP: overflow linearly past the ring's end
  static let rcrUnlimitedDMA: UInt32 = 0b111 << 8  // MXDMA: no DMA burst limit
  static let rcrRing8K: UInt32 = 0b00 << 11  // RBLEN: 8K + 16
  static let rcrNoThreshold: UInt32 = 0b111 << 13  // RXFTH: whole frames only
  // TCR bits.
  static let tcrDMA2048: UInt32 = 0b111 << 8  // MXDMA: 2048-byte bursts
  static let tcrNormalGap: UInt32 = 0b11 << 24  // IFG: the 802.3 inter-frame gap
  // TSD bits.
  static let tsdOwn: UInt32 = 1 << 13  // OWN: the chip has finished reading the buffer
  static let tsdSizeMask: UInt32 = 0x1FFF  // bits 12:0: bytes to send
  // Receive header status bits.
  static let rxStatusOK: UInt16 = 1 << 0  // ROK

  static let ringSize = 8192
  static let ringAllocation = 8192 + 16 + 1500
  static let descriptors = 4
  static let transmitBufferSize = 1792  // the most TSD's size field may say (datasheet)
  static let minimumFrame = 60  // 802.3 minimum without FCS; the chip does not pad
  static let maximumFrame = 1514

  let registers: UInt
  let ring: UnsafeMutableRawPointer
  let transmitBuffers: UnsafeMutableRawPointer
  var readOffset = 0
  var nextDescriptor = 0
  var inFlight = (false, false, false, false)
  let mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
  let pci: PCIFunction

  /// Finds the first RTL8139 on the PCI bus and brings it up, or nil.
  static func probe() -> RTL8139? {
    guard let function = PCIBus.find(vendor: vendorID, device: deviceID) else { return nil }
    return RTL8139(function)
  }

  private init?(_ function: PCIFunction) {
    pci = function
    guard let bar = function.bar(1), bar.kind != .io, bar.address != 0, bar.size >= 0x80 else {
      Log.info("rtl8139: no memory BAR")
      return nil
    }
    Memory.mapDevice(bar.address, length: bar.size)
    registers = UInt(bar.address)
    function.enable(PCIFunction.commandMemorySpace | PCIFunction.commandBusMaster)
    ring = UnsafeMutableRawPointer.allocate(byteCount: Self.ringAllocation, alignment: 16)
    transmitBuffers = UnsafeMutableRawPointer.allocate(
      byteCount: Self.descriptors * 2048, alignment: 16)
    let end = UInt(bitPattern: transmitBuffers) + UInt(Self.descriptors * 2048)
    guard UInt(bitPattern: ring) + UInt(Self.ringAllocation) <= 1 << 32, end <= 1 << 32 else {
      Log.info("rtl8139: buffers above 4 GiB")
      return nil
    }
    ring.initializeMemory(as: UInt8.self, repeating: 0, count: Self.ringAllocation)

    // Programming Guide, "Initialization", one step per write:
    Self.write8(registers, Self.config1, 0)  // power on (LWAKE/LWPTN low)
    Self.write8(registers, Self.cr, Self.crReset)  // software reset ...
    var spins = 0
    while Self.read8(registers, Self.cr) & Self.crReset != 0 && spins < 1_000_000 {
      Arch.spinHint()  // ... "RST bit ... remains 1 until the reset completes"
      spins += 1
    }
    guard spins < 1_000_000 else {
      Log.info("rtl8139: reset did not complete")
      return nil
    }
    mac = (
      Self.read8(registers, Self.idr0), Self.read8(registers, Self.idr0 + 1),
      Self.read8(registers, Self.idr0 + 2), Self.read8(registers, Self.idr0 + 3),
      Self.read8(registers, Self.idr0 + 4), Self.read8(registers, Self.idr0 + 5)
    )
    Self.write32(registers, Self.rbstart, UInt32(UInt(bitPattern: ring)))  // receive ring
    for index in 0..<Self.descriptors {  // one fixed buffer per transmit descriptor
      let buffer = UInt(bitPattern: transmitBuffers) + UInt(index * 2048)
      Self.write32(registers, Self.tsad0 + 4 * index, UInt32(buffer))
    }
    Self.write16(registers, Self.imr, Self.interruptMask)  // which events interrupt
    Self.write8(registers, Self.cr, Self.crReceiverEnable | Self.crTransmitterEnable)  // RE, TE
    Self.write32(
      registers, Self.rcr,
      Self.rcrPhysicalMatch | Self.rcrMulticast | Self.rcrBroadcast | Self.rcrWrap
        | Self.rcrUnlimitedDMA | Self.rcrRing8K | Self.rcrNoThreshold)
    Self.write32(registers, Self.tcr, Self.tcrDMA2048 | Self.tcrNormalGap)
  }

  /// No checksum offload (the RTL8139C has none).
  var offloadsTCPChecksum: Bool { false }

  func receive(_ body: (_ frame: UnsafeRawBufferPointer, _ checksumVerified: Bool) -> Void) -> Int {
    var count = 0
    while Self.read8(registers, Self.cr) & Self.crBufferEmpty == 0 {
      let header = ring + readOffset
      let status = header.loadUnaligned(as: UInt16.self)
      let length = Int(header.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
      guard status & Self.rxStatusOK != 0, length >= 4 + 14, length <= Self.maximumFrame + 4
      else {
        // A bad header means we lost our place: drop what is in the ring.
        resynchronize()
        break
      }
      body(UnsafeRawBufferPointer(start: header + 4, count: length - 4), false)  // no CRC
      readOffset = (readOffset + 4 + length + 3) & ~3 & (Self.ringSize - 1)
      Self.write16(registers, Self.capr, UInt16(truncatingIfNeeded: readOffset &- 16))
      count += 1
    }
    return count
  }

  func transmit(_ frame: UnsafeRawBufferPointer) -> Bool {
    guard frame.count <= Self.maximumFrame else { return true }  // drop: too big
    let index = nextDescriptor
    if isInFlight(index) {
      // Still the chip's until it set OWN.
      guard Self.read32(registers, Self.tsd0 + 4 * index) & Self.tsdOwn != 0 else { return false }
      setInFlight(index, false)
    }
    let buffer = transmitBuffers + index * 2048
    if let source = frame.baseAddress { buffer.copyMemory(from: source, byteCount: frame.count) }
    let length = max(frame.count, Self.minimumFrame)
    if length > frame.count {
      (buffer + frame.count).initializeMemory(
        as: UInt8.self, repeating: 0, count: length - frame.count)
    }
    // Size with OWN clear hands the buffer to the chip; early-transmit threshold 0 (8 bytes).
    Self.write32(registers, Self.tsd0 + 4 * index, UInt32(length) & Self.tsdSizeMask)
    setInFlight(index, true)
    nextDescriptor = (index + 1) % Self.descriptors
    return true
  }

  /// Transmission starts in `transmit` already.
  func flush() {}

  func onInterrupt(_ handler: @escaping () -> Void) -> Bool {
    let registers = self.registers
    // INTx is level-triggered: writing the status bits back clears them and
    // lowers the line (datasheet: ISR "writing 1 to any bit will reset that bit").
    let route = pci.onInterrupt(name: "rtl8139") {
      let status = Self.read16(registers, Self.isr)
      Self.write16(registers, Self.isr, status)
      handler()
    }
    return route != nil
  }

  /// Continues reading where the chip writes next (CBR), dropping everything
  /// in between. Not by toggling RE: QEMU keeps its write position across that.
  private func resynchronize() {
    readOffset = Int(Self.read16(registers, Self.cbr)) & (Self.ringSize - 1) & ~3
    Self.write16(registers, Self.capr, UInt16(truncatingIfNeeded: readOffset &- 16))
  }

  private func isInFlight(_ index: Int) -> Bool {
    switch index {
    case 0: inFlight.0
    case 1: inFlight.1
    case 2: inFlight.2
    default: inFlight.3
    }
  }

  private func setInFlight(_ index: Int, _ value: Bool) {
    switch index {
    case 0: inFlight.0 = value
    case 1: inFlight.1 = value
    case 2: inFlight.2 = value
    default: inFlight.3 = value
    }
  }

  private static func read8(_ base: UInt, _ offset: Int) -> UInt8 {
    VolatileMappedRegister<UInt8>(unsafeBitPattern: base + UInt(offset)).load()
  }
  private static func read16(_ base: UInt, _ offset: Int) -> UInt16 {
    VolatileMappedRegister<UInt16>(unsafeBitPattern: base + UInt(offset)).load()
  }
  private static func read32(_ base: UInt, _ offset: Int) -> UInt32 {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(offset)).load()
  }
  private static func write8(_ base: UInt, _ offset: Int, _ value: UInt8) {
    VolatileMappedRegister<UInt8>(unsafeBitPattern: base + UInt(offset)).store(value)
  }
  private static func write16(_ base: UInt, _ offset: Int, _ value: UInt16) {
    VolatileMappedRegister<UInt16>(unsafeBitPattern: base + UInt(offset)).store(value)
  }
  private static func write32(_ base: UInt, _ offset: Int, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + UInt(offset)).store(value)
  }
}
