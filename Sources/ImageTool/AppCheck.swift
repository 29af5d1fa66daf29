import BootFormat
import Foundation

/// The loader's own checks of an app (BootFormat's ELFFile, docs/ABI.md), run when
/// the image is built: a bad app is refused now, with the message the loader would
/// print at boot (`[LOADER] error: ...`), not found out when it boots.
enum AppCheck {
  /// Relocations are tried in scratch memory up to this image size; a larger
  /// (mostly .bss) image is only validated.
  static let relocationCheckLimit: UInt64 = 64 << 20
  /// Where the trial load puts a PIE: not its link address, so every relocation is
  /// applied as at boot.
  static let trialBias: UInt64 = 0x20_0000

  /// Throws unless the loader would accept `elf`.
  static func validate(_ elf: Data, path: String) throws(ImageToolError) {
    guard elf.starts(with: [0x7f, 0x45, 0x4c, 0x46]) else {
      throw .invalidArgument("\(path) is neither an app folder nor an ELF file")
    }
    let result: ELFError? = elf.withUnsafeBytes { bytes in
      do throws(ELFError) {
        try check(ELFFile(base: bytes.baseAddress!, size: bytes.count))
        return nil
      } catch {
        return error
      }
    }
    if let result { throw .invalidApp(path: path, reason: "\(result.message)") }
  }

  private static func check(_ file: ELFFile) throws(ELFError) {
    let span = try file.validate()
    guard file.isPositionIndependent, span.size <= relocationCheckLimit else { return }
    let memory = UnsafeMutableRawPointer.allocate(byteCount: Int(span.size), alignment: 4096)
    defer { memory.deallocate() }
    _ = try file.load(span: span, into: memory, loadAddress: span.low &+ trialBias)
  }
}
