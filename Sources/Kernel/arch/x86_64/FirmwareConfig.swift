// QEMU's firmware configuration device, fw_cfg (QEMU docs/specs/fw_cfg.rst),
// through its x86 I/O ports. The runtime hands the app's environment over as
// the fw_cfg file `opt/org.hermit/env` (`-fw_cfg name=...,file=...`), so that
// secrets never appear on a command line on the host; see docs/ABI.md.
//
// Every machine type the runtime uses (microvm, pc, q35) has fw_cfg at these
// ports; without the device the data port reads 0xff and the signature check
// fails.

enum FirmwareConfig {
  static let selectorPort: UInt16 = 0x510  // 16-bit write: the item to read
  static let dataPort: UInt16 = 0x511  // 8-bit read: the item's next byte

  static let signatureKey: UInt16 = 0x0000  // "QEMU"
  static let fileDirectoryKey: UInt16 = 0x0019  // be32 count, then FWCfgFile entries

  /// `struct FWCfgFile { be32 size; be16 select; be16 reserved; char name[56]; }`
  static let directoryEntrySize = 64
  static let nameSize = 56
  /// Larger files are not read (the environment of an app is a few KiB).
  static let maximumFileSize: UInt32 = 1 << 20

  /// The contents of the fw_cfg file `name`, or nil when there is no fw_cfg
  /// device or no such file. Reads byte by byte: the caller serializes.
  static func file(named name: StaticString) -> [UInt8]? {
    select(signatureKey)
    guard readBytes(4) == Array("QEMU".utf8) else { return nil }
    select(fileDirectoryKey)
    let count = readBigEndian32()
    for _ in 0..<min(count, 4096) {
      let size = readBigEndian32()
      let key = UInt16(readByte()) << 8 | UInt16(readByte())
      _ = readBytes(2)
      let entryName = readBytes(nameSize)
      let matches = name.withUTF8Buffer { wanted in
        wanted.count < nameSize && entryName[wanted.count] == 0
          && entryName.prefix(wanted.count).elementsEqual(wanted)
      }
      guard matches else { continue }
      guard size <= maximumFileSize else { return nil }
      select(key)
      return readBytes(Int(size))
    }
    return nil
  }

  private static func select(_ key: UInt16) { outw(selectorPort, key) }
  private static func readByte() -> UInt8 { inb(dataPort) }

  private static func readBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count { bytes[index] = readByte() }
    return bytes
  }

  private static func readBigEndian32() -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 { value = value << 8 | UInt32(readByte()) }
    return value
  }
}

extension Arch {
  /// A file the host handed over through QEMU's fw_cfg, or nil.
  static func firmwareFile(named name: StaticString) -> [UInt8]? {
    FirmwareConfig.file(named: name)
  }
}
