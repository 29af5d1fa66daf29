// 16550A UART on COM1, polled transmit only.
//
// Spec: TI/National PC16550D datasheet, Table II (register map) and §8.
// QEMU's `-serial stdio` needs no setup to transmit, but a real 16550 (and
// QEMU's model of the line status) does: program 115200 8N1 with FIFOs.

enum Serial {
  static let transmit: UInt16 = 0  // THR (DLAB = 0)
  static let interruptEnable: UInt16 = 1  // IER (DLAB = 0); divisor high (DLAB = 1)
  static let fifoControl: UInt16 = 2  // FCR
  static let lineControl: UInt16 = 3  // LCR
  static let modemControl: UInt16 = 4  // MCR
  static let lineStatus: UInt16 = 5  // LSR
  static let lsrTransmitEmpty: UInt8 = 1 << 5  // THRE
  static let lcrDivisorLatch: UInt8 = 0x80  // DLAB
  static let lcr8N1: UInt8 = 0x03  // 8 data bits, no parity, 1 stop bit

  nonisolated(unsafe) static var port: UInt16 = Arch.consolePort

  static func initialize(port: UInt16) {
    self.port = port
    outb(port + interruptEnable, 0x00)  // no UART interrupts: we poll
    outb(port + lineControl, lcrDivisorLatch)  // DLAB on to set the baud rate
    outb(port + transmit, 0x01)  // divisor 1 = 115200 baud (low byte)
    outb(port + interruptEnable, 0x00)  // divisor high byte
    outb(port + lineControl, lcr8N1)  // DLAB off, 8N1
    outb(port + fifoControl, 0xC7)  // enable and clear FIFOs, 14-byte threshold
    outb(port + modemControl, 0x03)  // DTR and RTS
  }

  static func write(_ byte: UInt8) {
    while inb(port + lineStatus) & lsrTransmitEmpty == 0 { Arch.spinHint() }
    outb(port + transmit, byte)
  }
}
