import Foundation

/// The app's symbols (`APP.debug`, the app before `llvm-objcopy --strip-all`), kept
/// next to the images in the store but never in an image: `hermit-image build`
/// saves them, `hermit-runtime` names a panic's backtrace frames with them.
///
/// `symbols/sha256/<hex>`, where hex is the sha256 of the stripped app as it is in
/// the image (`hermit/app`), so a run from the store, from a tarball or from an
/// OCI bundle finds them by the app file alone.
extension ImageStore {
  var symbolsURL: URL { root.appendingPathComponent("symbols/sha256") }

  /// Saves `debug` as the symbols of the stripped `app` (atomic; replaces any).
  public func saveSymbols(_ debug: Data, forApp app: Data) throws {
    do {
      try FileManager.default.createDirectory(at: symbolsURL, withIntermediateDirectories: true)
    } catch {
      throw HermitOCIError.io(path: symbolsURL.path, reason: "cannot create directory")
    }
    try AtomicFile.write(debug, to: symbolsURL.appendingPathComponent(Digest.sha256(app).hex))
  }

  /// The symbols file for the stripped app at `appPath`, if the store has one.
  public func symbols(forAppAt appPath: String) -> URL? {
    guard let app = FileManager.default.contents(atPath: appPath) else { return nil }
    let url = symbolsURL.appendingPathComponent(Digest.sha256(app).hex)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
  }
}
