import ArgumentParser
import Foundation
import HermitOCI

/// `hermit-image load -i FILE.tar`: verifies a layout tarball and adds its images.
struct Load: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Load the images of an OCI image layout tarball into the store.",
    discussion: "Everything is verified before anything enters the store.")

  @Option(name: [.short, .customLong("input")], help: "The OCI layout tarball to read.")
  var input: String

  func run() throws {
    let store = try openStore()
    for name in try store.load(layoutTarball: URL(fileURLWithPath: input)) {
      print("Loaded image: \(name)")
    }
  }
}
