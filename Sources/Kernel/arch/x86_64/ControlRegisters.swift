// The CR0 every core runs with: caches on, write protection in ring 0, native
// x87 errors. The boot core loads it when it builds its page tables; the other
// cores get the same value from the trampoline (Trampoline.asm, slot CR0), so
// no core keeps what the reset or the firmware left there.
//
// Spec: Intel SDM vol. 3 §2.5 (control registers, Figure 2-7), §9.1.1 (CR0
// after reset is 0x60000010: CD and NW set, caching off), §11.5.1 and Table
// 11-5 (CD = NW = 0: normal cache mode), §4.6.1 (WP: supervisor writes honour
// read-only pages), §13.1.3 (MP set, EM clear for SSE). Linux loads one
// constant the same way (arch/x86/realmode/rm/trampoline_64.S, CR0_STATE).

enum ControlRegisters {
  static let protectionEnable: UInt64 = 1 << 0  // PE
  static let monitorCoprocessor: UInt64 = 1 << 1  // MP: WAIT honours TS (SSE)
  static let emulation: UInt64 = 1 << 2  // EM: must be clear for x87/SSE
  static let taskSwitched: UInt64 = 1 << 3  // TS
  static let extensionType: UInt64 = 1 << 4  // ET: reserved, reads as 1
  static let numericError: UInt64 = 1 << 5  // NE: x87 errors raise #MF, not IRQ 13
  static let writeProtect: UInt64 = 1 << 16  // WP: ring 0 cannot write read-only pages
  static let alignmentMask: UInt64 = 1 << 18  // AM
  static let notWriteThrough: UInt64 = 1 << 29  // NW
  static let cacheDisable: UInt64 = 1 << 30  // CD
  static let paging: UInt64 = 1 << 31  // PG

  /// CR0 on every core once the kernel runs (no CD, NW, EM, TS, AM).
  static let kernelCR0: UInt64 =
    protectionEnable | monitorCoprocessor | extensionType | numericError | writeProtect | paging

  /// Loads `kernelCR0` on this core. From here on a write to a read-only page
  /// faults in ring 0 too, so W^X holds for the kernel as for the app.
  ///
  /// - Safety: long mode with paging on (PG and PE stay set); the caller no
  ///   longer writes to pages it mapped read-only.
  static func load() { writeCR0(kernelCR0) }
}

/// Read-only views of this core's configuration, for apps and tests that check
/// how the kernel set a core up.
public enum Processor {
  /// CR0 and CR4 of the core the caller runs on (SDM vol. 3 §2.5). The caller
  /// may move to another core right after: read them where it matters.
  public static func controlRegisters() -> (cr0: UInt64, cr4: UInt64) {
    let interruptsWereEnabled = Arch.disableInterrupts()
    defer { Arch.restoreInterrupts(interruptsWereEnabled) }
    return (readCR0(), readCR4())
  }
}
