/// What the loader hands to the app's entry point (in `rdi`), by physical address.
///
/// Loader and kernel are built from this same file, so they agree on the layout;
/// every field is a UInt64 so the layout is also the obvious C one (tested on the
/// host in BootInfoTests). Bump `currentVersion` whenever a field changes.
///
///     physical memory after the loader ran (identity-mapped)
///     0x0000_0000  real-mode area, BIOS data; page 0 stays unmapped in the app
///     0x0010_0000  loader image + bss (stack, page tables, BootInfo, region table)
///     ...          Multiboot info, command line, module 0 = the app ELF file
///     appStart     the loaded app image (PIE placed at the first free page)
///     freeStart    first byte the kernel may hand out; up to the memory map's top
public struct BootInfo {
  public static let magicValue: UInt64 = 0x3130_5449_4d52_4548  // "HERMIT01"
  public static let currentVersion: UInt64 = 1

  public var magic: UInt64
  public var version: UInt64
  /// Physical address and count of `MemoryRegion` entries (usable RAM only).
  public var memoryRegions: UInt64
  public var memoryRegionCount: UInt64
  /// Physical address and length of the kernel command line (not NUL-terminated).
  public var commandLine: UInt64
  public var commandLineLength: UInt64
  /// Where the loaded app image lies, and the bias applied to it (load − link).
  public var appStart: UInt64
  public var appEnd: UInt64
  public var appBias: UInt64
  /// Where the app's ELF file lies (Multiboot module 0).
  public var appFileStart: UInt64
  public var appFileEnd: UInt64
  /// First physical address not used by loader, modules or app.
  public var freeStart: UInt64
  /// I/O port of the 16550 console (0x3f8).
  public var serialPort: UInt64
  /// Number of CPUs the machine has (QEMU fw_cfg `FW_CFG_NB_CPUS`), at least 1.
  public var cpuCount: UInt64
  /// Time stamp counter at loader entry, for boot-time measurement.
  public var loaderEntryTSC: UInt64
  /// 1 if QEMU booted us via Multiboot v1, 2 via PVH.
  public var bootProtocol: UInt64

  public init() {
    magic = Self.magicValue
    version = Self.currentVersion
    memoryRegions = 0
    memoryRegionCount = 0
    commandLine = 0
    commandLineLength = 0
    appStart = 0
    appEnd = 0
    appBias = 0
    appFileStart = 0
    appFileEnd = 0
    freeStart = 0
    serialPort = 0x3f8
    cpuCount = 1
    loaderEntryTSC = 0
    bootProtocol = 1
  }
}

/// One range of usable RAM.
public struct MemoryRegion: Equatable {
  public var start: UInt64
  public var end: UInt64
  public init(start: UInt64, end: UInt64) {
    self.start = start
    self.end = end
  }
}
