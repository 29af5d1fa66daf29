import Foundation
import Testing

/// The README and docs/ point only at what a clone of the repository has
/// (issue 10, items 13 and 14).
@Suite struct DocsTests {
  static let documents =
    ["README.md"]
    + ((try? FileManager.default.contentsOfDirectory(
      atPath: repositoryRoot.appendingPathComponent("docs").path)) ?? [])
    .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }

  @Test(arguments: documents)
  func everyLinkPointsIntoTheRepositoryOrTheWeb(document: String) throws {
    let url = repositoryRoot.appendingPathComponent(document)
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(!text.contains("../shared"), "\(document) names ../shared")
    // Markdown links: ](target)
    var rest = Substring(text)
    while let open = rest.range(of: "](") {
      rest = rest[open.upperBound...]
      guard let close = rest.firstIndex(of: ")") else { break }
      let target = String(rest[..<close]).split(separator: "#").first.map(String.init) ?? ""
      rest = rest[close...]
      if target.isEmpty || target.hasPrefix("https://") || target.hasPrefix("http://") { continue }
      let resolved = url.deletingLastPathComponent().appendingPathComponent(target).standardized
      #expect(
        resolved.path.hasPrefix(repositoryRoot.standardized.path)
          && FileManager.default.fileExists(atPath: resolved.path),
        "\(document) links to \(target), which is not in the repository")
    }
  }

  @Test func theAppGuideCoversArgumentsLimitsAndPanics() throws {
    let text = try String(
      contentsOf: repositoryRoot.appendingPathComponent("docs/APPS.md"), encoding: .utf8)
    for topic in [
      "## Arguments and environment", "## What Embedded Swift leaves out", "## Reading a panic",
      "cannot print value in embedded Swift", "any P",
    ] {
      #expect(text.contains(topic), "docs/APPS.md lacks \(topic)")
    }
    let readme = try String(
      contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains("run --rm -q echo hello world"))
    #expect(readme.contains("(docs/APPS.md)"))
  }
}
