import Foundation
import HermitOCI

/// The guest toolchain directory (docs/ABI.md): it holds `hermit-loader` and
/// `kernel/` (Kernel.swiftmodule, libhermit.a, app.ld).
///
/// Looked up as `$HERMIT_TOOLCHAIN`, else `<exe>/../share/hermit`, else the source
/// tree's `build/` (`<exe>/../../../build` from `.build/<triple>/<config>/<exe>`).
struct Toolchain {
  let directory: URL

  var loader: URL { directory.appendingPathComponent("hermit-loader") }
  var kernel: URL { directory.appendingPathComponent("kernel") }

  static func find() throws -> Toolchain {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["HERMIT_TOOLCHAIN"], !explicit.isEmpty {
      return Toolchain(directory: URL(fileURLWithPath: explicit))
    }
    let exe = executableURL()
    let candidates = [
      exe.deletingLastPathComponent().appendingPathComponent("../share/hermit").standardizedFileURL,
      exe.appendingPathComponent("../../../../build").standardizedFileURL,
    ]
    for candidate in candidates
    where FileManager.default.fileExists(
      atPath: candidate.appendingPathComponent("hermit-loader").path)
    {
      return Toolchain(directory: candidate)
    }
    throw ImageToolError.buildFailed(
      "no hermit toolchain (hermit-loader and kernel/) found; run `make` or set HERMIT_TOOLCHAIN "
        + "(looked in \(candidates.map(\.path).joined(separator: ", ")))")
  }

  /// This executable's real path (symlinks resolved).
  static func executableURL() -> URL {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  }

  /// The loader's bytes.
  func loaderData() throws -> Data {
    guard let data = try? Data(contentsOf: loader) else {
      throw ImageToolError.buildFailed("cannot read the loader \(loader.path); run `make`")
    }
    return data
  }
}
