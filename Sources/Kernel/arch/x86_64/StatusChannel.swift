// The status channel (docs/ABI.md "Exit status channel"): QEMU's debugcon device
// at port 0xE9, written to a file the host reads after the VM ends. Besides the
// final `HERMIT-STATUS` record, a panic's backtrace goes here too, one
// `HERMIT-FRAME` line per app frame, so the host can name them from the app's
// symbols without reading the console.

extension Arch {
  /// Writes `text` to the status channel.
  static func writeStatus(_ text: StaticString) {
    text.withUTF8Buffer { bytes in
      for byte in bytes { outb(statusPort, byte) }
    }
  }

  /// Writes `value` as `0x` and lowercase hex digits, without allocating.
  static func writeStatusHex(_ value: UInt64) {
    writeStatus("0x")
    var shift = 60
    while shift > 0 && (value >> UInt64(shift)) & 0xf == 0 { shift -= 4 }
    while shift >= 0 {
      let digit = UInt8((value >> UInt64(shift)) & 0xf)
      outb(statusPort, digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
      shift -= 4
    }
  }
}
