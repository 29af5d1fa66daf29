import ArgumentParser
import Foundation
import HermitOCI

/// `hermit-image list` / `ls`: the named images, as a table or JSON.
struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the images in the store.", aliases: ["ls"])

  enum Format: String, ExpressibleByArgument { case table, json }

  @Option(help: "Output format: table or json.")
  var format: Format = .table

  @Flag(name: [.short, .customLong("quiet")], help: "Print image IDs only.")
  var quiet = false

  func run() throws {
    let images = try openStore().list()
    if format == .json {
      FileHandle.standardOutput.write(try CanonicalJSON.encodePretty(images) + Data("\n".utf8))
      return
    }
    if quiet {
      for image in images { print(String(image.id.dropFirst(7).prefix(12))) }
      return
    }
    let rows =
      [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
      + images.map {
        [
          // `created` is the config's, any text: escaped like everything from an image.
          $0.repository, $0.tag, String($0.id.dropFirst(7).prefix(12)),
          $0.created.map { Sanitized.escaped($0) } ?? "",
          humanSize($0.size),
        ]
      }
    print(TextTable.render(rows))
  }
}
