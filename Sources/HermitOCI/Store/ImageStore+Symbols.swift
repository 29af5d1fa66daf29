import FoundationEssentials
import HermitSystem

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
  /// `layer`: the blob of the image layer holding the app; once `prune` has removed
  /// that blob, `pruneSymbols` removes the symbols too.
  public func saveSymbols(_ debug: Data, forApp app: Data, layer: Digest? = nil) throws {
    do {
      try FileManager.default.createDirectory(at: symbolsURL, withIntermediateDirectories: true)
    } catch {
      throw HermitOCIError.io(path: symbolsURL.path, reason: "cannot create directory")
    }
    let file = symbolsURL.appendingPathComponent(Digest.sha256(app).hex)
    try AtomicFile.write(debug, to: file)
    if let layer {
      try AtomicFile.write(Data(layer.hex.utf8), to: file.appendingPathExtension("layer"))
    }
  }

  /// Removes the symbols whose app layer is no longer in the store (run after
  /// `prune`). Returns the bytes freed.
  @discardableResult
  public func pruneSymbols() -> Int64 {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: symbolsURL.path)) ?? []
    var freed: Int64 = 0
    for name in names where name.hasSuffix(".layer") {
      let marker = symbolsURL.appendingPathComponent(name)
      guard let hex = try? String(contentsOf: marker, encoding: .utf8), Digest.isHex64(hex),
        !FileManager.default.fileExists(atPath: blobsURL.appendingPathComponent(hex).path)
      else { continue }
      let symbols = marker.deletingPathExtension()
      freed += FileStatus(symbols.path)?.size ?? 0
      try? FileManager.default.removeItem(at: symbols)
      try? FileManager.default.removeItem(at: marker)
    }
    return freed
  }

  /// The symbols file for the stripped app at `appPath`, if the store has one.
  public func symbols(forAppAt appPath: String) -> URL? {
    guard let app = FileManager.default.contents(atPath: appPath) else { return nil }
    let url = symbolsURL.appendingPathComponent(Digest.sha256(app).hex)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
  }
}
