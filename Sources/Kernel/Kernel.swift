// Boot: the app's _start (arch/x86_64/Start.asm) calls kernel_start with the
// loader's BootInfo; we bring the machine up in order, run the app's top-level
// code (its `main`), and shut down with its exit code.

@_extern(c, "main") func appMain(_ argc: Int32, _ argv: UnsafeMutableRawPointer?) -> Int32

/// The app's version string in the boot log.
public let kernelVersion: StaticString = "0.1.0"

@_cdecl("kernel_start")
func kernelStart(_ bootInfoAddress: UInt64) -> Never {
  let bootInfo = UnsafePointer<BootInfo>(bitPattern: UInt(bootInfoAddress))!.pointee
  Serial.initialize(port: UInt16(truncatingIfNeeded: bootInfo.serialPort))  // console first: errors need it
  guard bootInfo.magic == BootInfo.magicValue, bootInfo.version == BootInfo.currentVersion else {
    panic("boot: BootInfo from an incompatible loader")
  }
  PIC.remapAndMask()  // the 8259s off the exception vectors, every line masked
  LocalAPIC.enable()  // enable the APIC
  BootCommandLine.text = UnsafeRawBufferPointer(
    start: UnsafeRawPointer(bitPattern: UInt(bootInfo.commandLine)),
    count: Int(bootInfo.commandLineLength))
  BootCommandLine.skipsImageName = bootInfo.bootProtocol == 1  // Multiboot: first word is the image
  Timer.startCalibration(commandLine: BootCommandLine.text)  // clocks run while boot goes on
  Memory.initialize(bootInfo)  // frames from the loader's memory map
  let appFile = ELFFile(
    base: UnsafeRawPointer(bitPattern: UInt(bootInfo.appFileStart))!,
    size: Int(bootInfo.appFileEnd - bootInfo.appFileStart))
  let validApp = bootInfo.appFileEnd > bootInfo.appFileStart  // the loader validated it
  SMP.cpuCount = max(Int(bootInfo.cpuCount), 1)  // the other cores start with the first thread
  CPUTables.load()  // GDT, TSS (IST stacks), IDT: exceptions report from here on
  InterruptCounters.setUp()  // per-core counters for the shutdown report
  Memory.enablePaging(appFile: validApp ? appFile : nil)  // NX, W^X, null page unmapped
  let heap = Memory.takeRemaining()
  Heap.initialize(start: heap.start, end: heap.end)  // the rest of RAM: Swift's heap
  Memory.forEachRegionAbove(heap.end) { Heap.addRegion(start: $0, end: $1) }  // above 4 GiB too
  Console.quiet = KernelCommandLine.hasOption("quiet", in: BootCommandLine.text)
  Timer.bootTSC = bootInfo.loaderEntryTSC
  Timer.finishCalibration()  // TSC and APIC timer rates: CPUID, APIC timer, PIT or RTC
  Timer.enableDeadlines()  // one-shot timers from here on (tickless: none is armed yet)
  Scheduler.initializeBeforeInterrupts()  // what handlers touch exists before any handler runs
  enableInterrupts()

  let mainTSC = Arch.timestamp()
  Log.info("Hermit for Swift \(kernelVersion) is running on common system!")
  Log.info(
    "Memory: \(Memory.totalBytes >> 20) MiB, heap \(Heap.arenaBytes >> 10) KiB, CPUs: \(bootInfo.cpuCount)"
  )
  Log.info(
    "TSC: \(Timer.tscPerSecond / 1_000_000) MHz (\(Timer.reference.name)), APIC timer: \(Timer.apicPerSecond / 1_000_000) MHz, boot to main: \(microseconds(mainTSC &- bootInfo.loaderEntryTSC)) us"
  )
  let code = appMain(0, nil)
  Shutdown.exit(code: UInt8(truncatingIfNeeded: code))
}

func microseconds(_ tsc: UInt64) -> String {
  let nanoseconds = Timer.nanoseconds(tsc: tsc)
  let whole = nanoseconds / 1000
  let fraction = (nanoseconds % 1000) / 10
  return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// Descriptor tables for one core, in memory that lives forever: its own GDT,
/// TSS and IST stacks; the IDT that the boot core builds is shared.
enum CPUTables {
  static let istBytes = GDT.istCount * GDT.stackSize
  nonisolated(unsafe) static var idt: UnsafeMutableRawPointer? = nil

  /// The boot core's tables, in frames.
  static func load() {
    GDT.chooseStackCanary(Arch.hardwareRandom() ?? randomWord())
    let gdt = UnsafeMutableRawPointer(Memory.allocateZeroedFrame())
    let istStacks = Memory.allocateFrames(istBytes / Int(Memory.frameSize))
    load(core: 0, gdt: gdt, istStacks: istStacks)
  }

  /// `gdt`: 4096 zeroed bytes; `istStacks`: `istBytes`. The other cores start
  /// after the heap took the remaining frames: theirs come from the heap.
  static func load(core: Int, gdt: UnsafeMutableRawPointer, istStacks: UnsafeMutableRawPointer) {
    GDT.load(storage: gdt, istStacks: istStacks, core: core)
    if let idt {
      IDT.reload(storage: idt)
    } else {
      let storage = Memory.allocateFrames(2)
      IDT.load(storage: storage)
      idt = storage
    }
  }
}
