/// libFuzzer harness for `ELFFile.validate()` and `load(span:into:loadAddress:)`:
/// the loader runs them on whatever the user passed as the app (Multiboot
/// module 0), so no input may trap, read outside the file or write outside the
/// `span.size` bytes it was given. Built by scripts/fuzz.sh with
/// `swiftc -sanitize=fuzzer,address` together with Sources/BootFormat/*.swift.
///
/// Beyond "no crash", it checks what the loader relies on: the span is
/// page-aligned and non-empty, and the returned entry point lies inside the
/// image at its load address.

/// Spans larger than this are validated but not loaded: a hostile file may ask
/// for up to 2^46 bytes, which the loader refuses for want of memory anyway.
let maximumLoadedSpan: UInt64 = 4 << 20

/// Load addresses tried for each valid file: the link address (bias 0, the only
/// one an ET_EXEC accepts) and a page-aligned one elsewhere.
let otherLoadAddress: UInt64 = 0x40_0000

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  var empty: UInt8 = 0
  return withUnsafeMutablePointer(to: &empty) { fallback -> CInt in
    let elf = ELFFile(base: UnsafeRawPointer(data ?? UnsafePointer(fallback)), size: size)
    let span: ELFSpan
    do throws(ELFError) { span = try elf.validate() } catch { return 0 }

    precondition(span.low & 0xfff == 0 && span.high & 0xfff == 0, "span not page-aligned")
    precondition(span.low < span.high, "empty span")
    precondition(elf.entry >= span.low && elf.entry < span.high, "entry outside span")
    guard span.size <= maximumLoadedSpan else { return 0 }

    // Exactly span.size bytes, so AddressSanitizer reports any write beyond them.
    let count = Int(span.size)
    let memory = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 4096)
    defer { memory.deallocate() }
    for loadAddress in [span.low, otherLoadAddress] {
      memory.initializeMemory(as: UInt8.self, repeating: 0xa5, count: count)
      let entry: UInt64
      do throws(ELFError) {
        entry = try elf.load(span: span, into: memory, loadAddress: loadAddress)
      } catch {
        continue
      }
      precondition(entry == elf.entry &+ (loadAddress &- span.low), "entry not biased")
      precondition(entry >= loadAddress && entry - loadAddress < span.size, "entry outside image")
      precondition(
        elf.isPositionIndependent || loadAddress == span.low, "ET_EXEC loaded elsewhere")
    }
    return 0
  }
}
