/// Errors of `hermit-image` itself: compiling an app, finding the guest toolchain,
/// refusing an argument. What the store and the image format refuse stays
/// HermitOCIError; the CLI prints either as one line and exits 125.
enum ImageToolError: Error, CustomStringConvertible {
  /// Compiling or linking the app failed, or the toolchain to do it is missing.
  case buildFailed(String)
  /// A command-line argument the tool refuses.
  case invalidArgument(String)
  /// The app ELF is one the loader would refuse at boot; `reason` is the loader's message.
  case invalidApp(path: String, reason: String)

  var description: String {
    switch self {
    case .buildFailed(let reason): return "build failed: \(reason)"
    case .invalidArgument(let reason): return reason
    case .invalidApp(let path, let reason): return "\(path): not a bootable app: \(reason)"
    }
  }
}
