import ArgumentParser
import HermitOCI

/// `hermit-image prune`: deletes blobs no name reaches and leftovers of killed commands.
struct Prune: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Remove unreferenced blobs and print the space freed.")

  func run() throws {
    let result = try openStore().prune()
    print(
      "Deleted \(result.blobsRemoved) blobs, total reclaimed space: \(humanSize(result.bytesFreed))"
    )
  }
}
