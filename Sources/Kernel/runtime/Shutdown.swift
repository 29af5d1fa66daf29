// Ending the VM: the app's exit code or a panic, reported through the status
// channel of docs/ABI.md so the host learns the code exactly and a crash never
// looks like success.

enum Shutdown {
  /// Prints the seed's closing lines, then powers off with `code`.
  static func exit(code: UInt8) -> Never {
    if !Console.quiet {
      Log.info("Number of interrupts")
      printInterruptCounts()
      Log.info("Shutting down system")
    }
    Arch.powerOff(
      record: "HERMIT-STATUS exit=", exitValue: code & 0x7f, code: code)
  }

  static func panicExit() -> Never {
    Arch.powerOff(record: "HERMIT-STATUS panic\n", exitValue: 0x7f, code: nil)
  }

  /// `[0][INFO] [core][vector]: count` for each online core and each vector
  /// that fired there, named where the vector has a name (`[1][Wakeup]: 1`),
  /// like the seed's per-core counters.
  static func printInterruptCounts() {
    for core in 0..<Arch.onlineCores {
      for vector in 0..<256 {
        let count = InterruptCounters.value(core: core, vector: vector)
        guard count > 0 else { continue }
        Console.writePrefix("INFO")
        Console.write("[")
        Console.writeDecimal(UInt64(core))
        Console.write("][")
        if let name = Interrupts.name(of: vector) {
          Console.write(name)
        } else {
          Console.writeDecimal(UInt64(vector))
        }
        Console.write("]: ")
        Console.writeDecimal(count)
        Console.write(UInt8(ascii: "\n"))
      }
    }
  }
}

/// Ends the app with `code` (0–255 reach the host exactly; others are taken
/// modulo 256, like a POSIX exit status).
public func exit(_ code: Int32) -> Never {
  Shutdown.exit(code: UInt8(truncatingIfNeeded: code))
}

/// Stops the system with a message and a backtrace; the host sees a failure.
@inline(never)
public func panic(_ message: StaticString) -> Never {
  Shutdown.panic { Console.write(message) }
}

/// `panic` with a message built at run time.
@inline(never)
public func panic(_ message: String) -> Never {
  Shutdown.panic { Console.write(message) }
}

extension Shutdown {
  /// `[0][PANIC] <message>`, the caller's backtrace, then the panic exit.
  static func panic(_ writeMessage: () -> Void) -> Never {
    Console.forceVisible()
    Console.writePrefix("PANIC")
    writeMessage()
    Console.write(UInt8(ascii: "\n"))
    Backtrace.print(rip: nil, rbp: Arch.framePointer())
    panicExit()
  }
}
