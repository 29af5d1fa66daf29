import ArgumentParser
import HermitOCI

/// `hermit-image rm REF...`: removes names; blobs stay until `prune`.
struct Remove: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rm", abstract: "Remove image names (blobs go with prune).", aliases: ["rmi"])

  @Argument(help: "Images to untag.")
  var references: [String]

  func validate() throws {
    guard !references.isEmpty else { throw ValidationError("name at least one image to remove") }
  }

  func run() throws {
    // Like docker rmi: what was removed is said even when another name is missing.
    let (removed, missing) = try openStore().untag(references)
    for name in removed { print("Untagged: \(name)") }
    if !missing.isEmpty { throw HermitOCIError.imageNotFound(missing.joined(separator: ", ")) }
  }
}
