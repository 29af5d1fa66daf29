import ArgumentParser
import Foundation
import HermitOCI

/// `hermit-image save -o FILE.tar REF...`: writes images as one layout tarball.
struct Save: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write images from the store to an OCI image layout tarball.")

  @Option(name: [.short, .customLong("output")], help: "The tarball to write.")
  var output: String

  @Argument(help: "Images to save (name[:tag], name@digest or image ID).")
  var references: [String]

  func validate() throws {
    guard !references.isEmpty else { throw ValidationError("name at least one image to save") }
  }

  func run() throws {
    try openStore().save(references, to: URL(fileURLWithPath: output))
  }
}
