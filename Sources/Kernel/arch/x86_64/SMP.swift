// Starting the application processors (APs) and their per-core set-up.
//
// Spec: Intel SDM vol. 3 §8.4 (multiple-processor initialization), §8.4.4.1
// (typical BSP sequence: INIT IPI, 10 ms, start-up IPI, 200 µs, start-up IPI),
// §11.6.1 (ICR). The AP runs Trampoline.asm from TRAMPOLINE_BASE in real mode,
// enters long mode on the kernel's page tables and calls kernel_ap_start.
//
// APIC IDs: from the ACPI MADT (ACPI.swift), read when the first AP starts;
// core index i is the i-th enabled local APIC, the boot core first. Without
// ACPI, QEMU's numbering (0..<n for `-smp n`) stands. The count comes from
// fw_cfg (BootInfo.cpuCount).
import _Volatile

@_extern(c, "hermit_trampoline") func trampolineBlob(_ size: UnsafeMutablePointer<UInt64>)
  -> UnsafeRawPointer
@_extern(c, "hermit_ap_entry_address") func apEntryAddress() -> UInt64

enum SMP {
  /// The real-mode entry page: below 1 MiB, page-aligned (SIPI vector = page
  /// number, SDM §8.4.4.1), and unused: the loader lives at 1 MiB, the app and
  /// all frames above it, and page 0 holds nothing we need.
  static let trampolineBase: UInt64 = 0x8000
  /// Slot offsets inside the trampoline (Trampoline.asm).
  static let slotCR3 = 8, slotCR4 = 16, slotEFER = 24, slotStack = 32
  static let slotEntry = 40, slotCore = 48, slotReady = 56, slotCR0 = 64
  static let apStackSize = 16384  // a multiple of the page size
  static let maxCores = InterruptCounters.maxCores
  /// Per core index, its local APIC ID (nil until the APs start: identity).
  nonisolated(unsafe) static var apicIDs: UnsafeMutablePointer<UInt32>? = nil

  /// The local APIC ID of core `index` (where IPIs and interrupts go).
  static func apicID(ofCore index: Int) -> UInt32 {
    guard let apicIDs, index < configuredCount else { return UInt32(index) }
    return apicIDs[index]
  }

  static var configuredCount: Int { min(cpuCount, maxCores) }

  /// Fills `apicIDs` from the MADT: the boot core's ID first, then the other
  /// enabled local APICs in table order. Keeps identity if the MADT disagrees
  /// with the core count.
  static func readAPICIDs() {
    let count = configuredCount
    let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
    for index in 0..<count { ids[index] = UInt32(index) }
    ACPI.initialize()
    let boot = LocalAPIC.id
    let listed = ACPI.apicIDs
    if listed.count >= count && listed.contains(boot) {
      ids[0] = boot
      var next = 1
      for id in listed where id != boot && next < count {
        ids[next] = id
        next += 1
      }
    }
    apicIDs = ids
  }

  /// Per core, the unmapped page below its start-up stack (0: none, as for core
  /// 0, whose boot stack's guard is in Start.asm); allocated with the first AP.
  nonisolated(unsafe) static var stackGuards: UnsafeMutablePointer<UInt64>? = nil

  nonisolated(unsafe) static var cpuCount = 1
  nonisolated(unsafe) static var onlineCores = 1
  /// What each AP runs once set up, with interrupts enabled (the scheduler's idle loop).
  nonisolated(unsafe) static var entry: (@convention(c) () -> Void)? = nil

  /// Starts cores 1..<cpuCount one at a time; each runs `entry`. Cores that do
  /// not answer within a second are left alone (a warning says so).
  static func startSecondaryCores(entry: @convention(c) () -> Void) {
    let count = configuredCount
    guard count > 1 else { return }
    self.entry = entry
    readAPICIDs()
    var size: UInt64 = 0
    let blob = trampolineBlob(&size)
    let page = UnsafeMutableRawPointer(bitPattern: UInt(trampolineBase))!
    page.copyMemory(from: blob, byteCount: Int(size))
    page.storeBytes(of: readCR0(), toByteOffset: slotCR0, as: UInt64.self)
    page.storeBytes(of: readCR3(), toByteOffset: slotCR3, as: UInt64.self)
    page.storeBytes(of: readCR4(), toByteOffset: slotCR4, as: UInt64.self)
    let efer = rdmsr(MSR.efer) & (EFER.longModeEnable | EFER.noExecuteEnable)
    page.storeBytes(of: efer, toByteOffset: slotEFER, as: UInt64.self)
    page.storeBytes(of: apEntryAddress(), toByteOffset: slotEntry, as: UInt64.self)
    let stackGuards = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
    stackGuards.initialize(repeating: 0, count: count)
    self.stackGuards = stackGuards
    Memory.setTrampolineExecutable(trampolineBase, true)
    defer { Memory.setTrampolineExecutable(trampolineBase, false) }

    for core in 1..<count {
      // [guard page][stack ... top], like a thread's (Thread.swift): the stack
      // stays the core's idle thread's, so it lives as long as the kernel.
      let memory = UnsafeMutableRawPointer.allocate(
        byteCount: Thread.guardSize + apStackSize, alignment: Thread.guardSize)
      Memory.setGuardPage(memory, true)
      stackGuards[core] = UInt64(UInt(bitPattern: memory))
      let top = memory + Thread.guardSize + apStackSize
      page.storeBytes(of: UInt64(UInt(bitPattern: top)), toByteOffset: slotStack, as: UInt64.self)
      page.storeBytes(of: UInt64(core), toByteOffset: slotCore, as: UInt64.self)
      let ready = VolatileFlag(page + slotReady)
      ready.clear()
      let apicID = apicID(ofCore: core)
      // SDM §8.4.4.1: INIT, wait 10 ms, SIPI, wait 200 µs, SIPI (a core that
      // already started ignores the second one). The 10 ms are for the
      // external APICs of old CPUs: like Linux (smpboot.c, init_udelay), we
      // skip them from family 6 on, which every x86-64 CPU and QEMU's are.
      LocalAPIC.sendIPI(
        to: apicID, command: LocalAPIC.icrModeINIT | LocalAPIC.icrLevelAssert)
      Timer.spin(nanoseconds: CPUID.family >= 6 ? 10_000 : 10_000_000)
      let vector = UInt32(trampolineBase >> 12)
      LocalAPIC.sendIPI(to: apicID, command: LocalAPIC.icrModeStartUp | vector)
      ready.wait(nanoseconds: 200_000)  // no need to sit out the 200 µs once it is up
      if !ready.isSet {
        LocalAPIC.sendIPI(to: apicID, command: LocalAPIC.icrModeStartUp | vector)
      }
      // Wait for the AP to be done with the shared slots.
      ready.wait(nanoseconds: 1_000_000_000)
      guard ready.isSet else {
        Log.warning("core \(core) did not start")
        return
      }
      onlineCores = core + 1
    }
  }
}

/// A word another core sets: read and written through volatile accesses.
struct VolatileFlag {
  let address: UnsafeMutableRawPointer
  init(_ address: UnsafeMutableRawPointer) { self.address = address }
  var isSet: Bool {
    VolatileMappedRegister<UInt64>(unsafeBitPattern: UInt(bitPattern: address)).load() != 0
  }
  func set() {
    VolatileMappedRegister<UInt64>(unsafeBitPattern: UInt(bitPattern: address)).store(1)
  }
  /// Spins until the flag is set or `nanoseconds` passed.
  func wait(nanoseconds: UInt64) {
    let deadline = Timer.uptimeNanoseconds() + nanoseconds
    while !isSet && Timer.uptimeNanoseconds() < deadline { Arch.spinHint() }
  }
  func clear() {
    VolatileMappedRegister<UInt64>(unsafeBitPattern: UInt(bitPattern: address)).store(0)
  }
}

/// An AP's first Swift code (called by Trampoline.asm): its own GDT, TSS and
/// per-core word, the shared IDT, its local APIC and timer; then it tells the
/// boot core it is up and runs the scheduler's entry with interrupts enabled.
///
/// - Safety: called once per AP, by Trampoline.asm only: interrupts off, on the
///   stack startSecondaryCores allocated for it, while the boot core waits for
///   the ready slot (so the trampoline's slots stay put until then).
@_cdecl("kernel_ap_start")
func kernelAPStart(_ core: UInt64) -> Never {
  let gdt = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
  gdt.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
  let istStacks = UnsafeMutableRawPointer.allocate(byteCount: CPUTables.istBytes, alignment: 4096)
  CPUTables.load(core: Int(core), gdt: gdt, istStacks: istStacks)
  LocalAPIC.enableOnSecondaryCore()
  if LocalAPIC.id != SMP.apicID(ofCore: Int(core)) {
    Log.warning("core \(core) has APIC ID \(LocalAPIC.id): wake-ups will miss it")
  }
  VolatileFlag(UnsafeMutableRawPointer(bitPattern: UInt(SMP.trampolineBase) + UInt(SMP.slotReady))!)
    .set()
  enableInterrupts()
  SMP.entry?()
  while true { waitForInterrupt() }
}

/// The guard page below core `core`'s start-up stack, or 0 (core 0, or a core
/// that did not start): for tests and debuggers, which have no Swift API for it.
@_cdecl("hermit_core_stack_guard")
func coreStackGuard(_ core: Int) -> UInt64 {
  guard let guards = SMP.stackGuards, core > 0, core < SMP.onlineCores else { return 0 }
  return guards[core]
}
