import ArgumentParser
import HermitOCI

/// `hermit-image tag SRC DST`: another name for an image.
struct Tag: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Give an image another name.")

  @Argument(help: "The existing image.")
  var source: String

  @Argument(help: "The new name (name[:tag]).")
  var target: String

  func run() throws {
    try openStore().tag(source, target)
  }
}
