import Foundation
import HermitOCI
import HermitSystem

/// The date an image gets (config `created`, every tar entry's mtime):
/// `SOURCE_DATE_EPOCH` when set (reproducible-builds.org), else the newest
/// modification time of the app's sources (its .swift files and `swiftflags`), or
/// of the app ELF given, in whole seconds. The same files give the same date, so
/// builds stay byte-identical, and `ls` shows when the app last changed, not 1970.
enum SourceDate {
  static func epoch(
    app: URL, isDirectory: Bool,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> Int {
    if let value = environment["SOURCE_DATE_EPOCH"], !value.isEmpty {
      return reproducibleEpoch(environment: environment)
    }
    var files = [app]
    if isDirectory {
      files = (try? AppCompiler.sources(in: app)) ?? []
      files.append(app.appendingPathComponent("swiftflags"))
    }
    let seconds = files.compactMap { file -> Int? in
      guard let status = FileStatus(file.path) else { return nil }
      return max(0, Int(status.modificationTime.rounded(.down)))
    }
    return seconds.max() ?? 0
  }
}
