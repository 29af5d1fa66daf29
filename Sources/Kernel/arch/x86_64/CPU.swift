// Thin Swift wrappers over the instructions in CPU.asm and Port.asm.
// Portable kernel code reaches the CPU only through `Arch` (Arch.swift).

@_extern(c, "hermit_outb") func outb(_ port: UInt16, _ value: UInt8)
@_extern(c, "hermit_outw") func outw(_ port: UInt16, _ value: UInt16)
@_extern(c, "hermit_outl") func outl(_ port: UInt16, _ value: UInt32)
@_extern(c, "hermit_inb") func inb(_ port: UInt16) -> UInt8
@_extern(c, "hermit_inw") func inw(_ port: UInt16) -> UInt16
@_extern(c, "hermit_inl") func inl(_ port: UInt16) -> UInt32
@_extern(c, "hermit_rdtsc") func rdtsc() -> UInt64
@_extern(c, "hermit_pause") func cpuPause()
@_extern(c, "hermit_lgdt") func lgdt(_ descriptor: UnsafeRawPointer)
@_extern(c, "hermit_lidt") func lidt(_ descriptor: UnsafeRawPointer)
@_extern(c, "hermit_ltr") func ltr(_ selector: UInt16)
@_extern(c, "hermit_reload_segments") func reloadSegments(code: UInt16, data: UInt16)
@_extern(c, "hermit_read_cr0") func readCR0() -> UInt64
@_extern(c, "hermit_read_cr2") func readCR2() -> UInt64
@_extern(c, "hermit_read_cr3") func readCR3() -> UInt64
@_extern(c, "hermit_read_cr4") func readCR4() -> UInt64
@_extern(c, "hermit_write_cr0") func writeCR0(_ value: UInt64)
@_extern(c, "hermit_write_cr3") func writeCR3(_ value: UInt64)
@_extern(c, "hermit_write_cr4") func writeCR4(_ value: UInt64)
@_extern(c, "hermit_invlpg") func invalidatePage(_ address: UInt64)
@_extern(c, "hermit_rdmsr") func rdmsr(_ msr: UInt32) -> UInt64
@_extern(c, "hermit_wrmsr") func wrmsr(_ msr: UInt32, _ value: UInt64)
@_extern(c, "hermit_cpuid") func cpuidRaw(
  _ leaf: UInt32, _ subleaf: UInt32, _ out: UnsafeMutablePointer<UInt32>)
@_extern(c, "hermit_rdrand") func rdrandRaw(_ out: UnsafeMutablePointer<UInt64>) -> Bool
@_extern(c, "hermit_rdseed") func rdseedRaw(_ out: UnsafeMutablePointer<UInt64>) -> Bool
@_extern(c, "hermit_enable_interrupts") func enableInterrupts()
@_extern(c, "hermit_disable_interrupts") func disableInterrupts()
@_extern(c, "hermit_wait_for_interrupt") func waitForInterrupt()
@_extern(c, "hermit_read_rbp") func readRBP() -> UInt64
@_extern(c, "hermit_triple_fault") func tripleFault()
@_extern(c, "hermit_save_and_disable_interrupts") func saveAndDisableInterrupts() -> Bool
@_extern(c, "hermit_read_core_index") func readCoreIndex() -> Int
@_extern(c, "hermit_spin_lock") func hermitSpinLock(_ word: UnsafeMutablePointer<UInt32>)
@_extern(c, "hermit_spin_unlock") func hermitSpinUnlock(_ word: UnsafeMutablePointer<UInt32>)
@_extern(c, "hermit_switch") func switchStacks(
  _ save: UnsafeMutablePointer<UInt64>, _ target: UInt64)
@_extern(c, "hermit_thread_start_address") func threadStartAddress() -> UInt64

/// Model-specific registers (SDM vol. 4, Table 2-2).
enum MSR {
  static let apicBase: UInt32 = 0x1B  // IA32_APIC_BASE
  static let efer: UInt32 = 0xC000_0080  // IA32_EFER
  static let fsBase: UInt32 = 0xC000_0100  // IA32_FS_BASE
  static let gsBase: UInt32 = 0xC000_0101  // IA32_GS_BASE
}

/// IA32_EFER bits (SDM vol. 3 §2.2.1).
enum EFER {
  static let longModeEnable: UInt64 = 1 << 8  // LME
  static let noExecuteEnable: UInt64 = 1 << 11  // NXE: honour bit 63 of page entries
}

/// CPUID results (SDM vol. 2A, CPUID).
struct CPUID {
  var eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32

  init(leaf: UInt32, subleaf: UInt32 = 0) {
    var registers: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    withUnsafeMutablePointer(to: &registers) { pointer in
      pointer.withMemoryRebound(to: UInt32.self, capacity: 4) { cpuidRaw(leaf, subleaf, $0) }
    }
    (eax, ebx, ecx, edx) = registers
  }

  /// CPUID.01H:ECX.RDRAND[bit 30].
  static var hasRDRAND: Bool { CPUID(leaf: 1).ecx & (1 << 30) != 0 }
  /// CPUID.(EAX=07H, ECX=0):EBX.RDSEED[bit 18].
  static var hasRDSEED: Bool { CPUID(leaf: 0).eax >= 7 && CPUID(leaf: 7).ebx & (1 << 18) != 0 }
  /// CPUID.80000001H:EDX.NX[bit 20].
  static var hasNoExecute: Bool {
    CPUID(leaf: 0x8000_0000).eax >= 0x8000_0001 && CPUID(leaf: 0x8000_0001).edx & (1 << 20) != 0
  }
  /// Family, with the extended family added when the base family is 0xF
  /// (SDM vol. 2A, CPUID, Figure 3-6).
  static var family: UInt32 {
    let eax = CPUID(leaf: 1).eax
    let base = (eax >> 8) & 0xF
    return base == 0xF ? base + (eax >> 20) & 0xFF : base
  }
  /// CPUID.01H:ECX.hypervisor[bit 31].
  static var underHypervisor: Bool { CPUID(leaf: 1).ecx & (1 << 31) != 0 }
}

/// The TSC's rate where the CPU or the hypervisor states it.
enum CPUTiming {
  static let hypervisorBase: UInt32 = 0x4000_0000  // EAX: the highest hypervisor leaf
  static let hypervisorTiming: UInt32 = 0x4000_0010  // EAX: TSC kHz, EBX: APIC bus kHz
  static let tscCrystal: UInt32 = 0x15  // EAX/EBX: TSC/crystal ratio, ECX: crystal Hz
  static let processorFrequency: UInt32 = 0x16  // EAX: base MHz

  /// TSC ticks per second, and the APIC timer's (bus / 16, LocalAPIC's
  /// divider) if stated too: from a hypervisor's timing leaf, else from leaf
  /// 0x15 when it names its crystal's frequency (ECX = 0 means it does not).
  static func rates() -> (tsc: UInt64, apicTimer: UInt64?)? {
    if CPUID.underHypervisor {
      let top = CPUID(leaf: hypervisorBase).eax
      if top >= hypervisorTiming && top < hypervisorBase + 0x100 {
        let leaf = CPUID(leaf: hypervisorTiming)
        if leaf.eax != 0 {
          let apic = leaf.ebx != 0 ? UInt64(leaf.ebx) * 1000 / 16 : nil
          return (UInt64(leaf.eax) * 1000, apic)
        }
      }
    }
    if CPUID(leaf: 0).eax >= tscCrystal {
      let leaf = CPUID(leaf: tscCrystal)
      if leaf.eax != 0 && leaf.ebx != 0 && leaf.ecx != 0 {
        return (UInt64(leaf.ecx) * UInt64(leaf.ebx) / UInt64(leaf.eax), nil)
      }
    }
    return nil
  }

  /// The APIC timer's rate where the hypervisor fixes it: QEMU's APIC, under
  /// TCG (hw/intc/apic.c counts its timer in nanoseconds of the virtual clock)
  /// and KVM's in-kernel APIC (APIC_BUS_CYCLE_NS = 1) alike, runs on a 1 GHz
  /// bus, divided by 16 here (LocalAPIC.divideBy16). Its count is computed
  /// from the clock whenever it is read, so it is an exact reference.
  static func knownAPICTimer() -> UInt64? {
    guard CPUID.underHypervisor else { return nil }
    let vendor = CPUID(leaf: hypervisorBase)
    // The vendor signature in EBX, ECX, EDX: "TCGTCGTCGTCG" or "KVMKVMKVM\0\0\0".
    let tcg = (vendor.ebx, vendor.ecx, vendor.edx) == (0x5447_4354, 0x4354_4743, 0x4743_5447)
    let kvm = (vendor.ebx, vendor.ecx, vendor.edx) == (0x4B4D_564B, 0x564B_4D56, 0x0000_004D)
    return tcg || kvm ? 1_000_000_000 / 16 : nil
  }

  /// Leaf 0x16's base frequency in Hz, if the CPU has the leaf. The SDM says
  /// it is the processor's specification, not a measurement.
  static func nominalTSC() -> UInt64? {
    guard CPUID(leaf: 0).eax >= processorFrequency else { return nil }
    let megahertz = CPUID(leaf: processorFrequency).eax & 0xFFFF
    return megahertz == 0 ? nil : UInt64(megahertz) * 1_000_000
  }
}

/// A random 64-bit value from RDRAND, if the CPU has it and it delivers.
func rdrand() -> UInt64? {
  var value: UInt64 = 0
  return rdrandRaw(&value) ? value : nil
}

/// A 64-bit seed from RDSEED (the entropy source itself, not RDRAND's
/// generator), if the CPU has it and it delivers.
func rdseed() -> UInt64? {
  var value: UInt64 = 0
  return rdseedRaw(&value) ? value : nil
}
