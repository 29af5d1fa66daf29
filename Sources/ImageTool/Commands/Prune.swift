import ArgumentParser
import HermitOCI

/// `hermit-image prune`: deletes blobs no name reaches and leftovers of killed commands.
struct Prune: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Remove unreferenced blobs, empty the run cache, print the space freed.",
    discussion: """
      The run cache ($HERMIT_HOME/cache, else $XDG_CACHE_HOME/hermit, else \
      ~/.cache/hermit) holds images unpacked by hermit-runtime run; it is kept under \
      $HERMIT_RUN_CACHE_MAX (default 1G) and rebuilt from the images when needed.
      """)

  func run() throws {
    let store = try openStore()
    let result = try store.prune()
    let symbolBytes = store.pruneSymbols()  // of apps whose images are gone
    print(
      "Deleted \(result.blobsRemoved) blobs, total reclaimed space: "
        + humanSize(result.bytesFreed + symbolBytes))
    let cache = RunCache.prune(root: RunCache.defaultRoot())
    print(
      "Deleted \(cache.images) unpacked images from the run cache, reclaimed space: "
        + humanSize(cache.bytes))
  }
}
