/// libFuzzer harness for the layout and tar loader: `hermit-image load` and
/// `hermit-runtime run IMAGE.tar` hand it whatever tarball the user names, so no
/// input may trap, hang, grow memory beyond the input's measure, or fail with
/// anything but one bounded line. Built by scripts/fuzz.sh with
/// `swiftc -sanitize=fuzzer,address` together with Sources/HermitOCI/**/*.swift (so
/// it reaches the loader's internals) and HermitSystem as a module of its own.
///
/// Each input is written as a tarball and unpacked as `hermit-runtime` does
/// (`ImageUnpacker`): the loader verifies everything (`LayoutLoader`), then the
/// first image's layers are extracted into a fresh rootfs, whiteouts included.
import FoundationEssentials
import HermitSystem

/// A private directory per fuzzing process, removed and remade for every input.
let workDirectory: URL = {
  let url = URL(fileURLWithPath: "/tmp/hermit-fuzz-layout-\(getpid())")
  try? FileManager.default.removeItem(at: url)
  try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let tarball = workDirectory.appendingPathComponent("input.tar")
  let rootfs = workDirectory.appendingPathComponent("rootfs")
  try? FileManager.default.removeItem(at: rootfs)
  try! Data(bytes: data ?? UnsafePointer(bitPattern: 1)!, count: size).write(to: tarball)
  do {
    let image = try ImageUnpacker.unpack(
      layoutTarball: tarball, reference: nil, into: rootfs, stagingIn: workDirectory)
    precondition(image.config.os == "hermit", "a non-hermit image was accepted")
    precondition(image.layers.count == image.config.rootfs.diffIDs.count, "layers unchecked")
  } catch let error as HermitOCIError {
    check(error.description)
  } catch let error as SystemError {
    check(error.description)
  } catch {
    preconditionFailure("an error that is not the library's: \(error)")
  }
  return 0
}

/// What `hermit-image` prints after `error: `: one line, bounded.
func check(_ line: String) {
  precondition(!line.contains("\n") && !line.contains("\r"), "multi-line error: \(line.prefix(300))")
  precondition(
    line.unicodeScalars.count <= Sanitized.maxLineLength,
    "error line of \(line.unicodeScalars.count) characters: \(line.prefix(300))")
  precondition(
    !line.unicodeScalars.contains { Sanitized.isUnsafe($0) }, "control character in the error")
}

#if canImport(Glibc)
  import Glibc
#endif
