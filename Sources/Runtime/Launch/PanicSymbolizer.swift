import FoundationEssentials
import HermitOCI
import HermitQEMU
import HermitSystem

/// Names the frames of a panicked guest's backtrace: the kernel writes each app
/// frame to the status channel (`HERMIT-FRAME pc|ret app+0xOFFSET`, docs/ABI.md),
/// `hermit-image build` keeps the app's symbols in the store, and llvm-symbolizer
/// turns the offsets into functions and file:line. A Swift runtime trap shows as
/// its innermost frame, `Swift runtime failure: Index out of range` and the like.
enum PanicSymbolizer {
  struct Frame: Equatable {
    /// The address follows a call (looked up one byte earlier, at the call).
    var isReturnAddress: Bool
    /// The offset in the app ELF's address space.
    var offset: UInt64
  }

  /// The frames recorded in a status file's text.
  static func frames(inRecord text: String) -> [Frame] {
    text.split(separator: "\n").compactMap { line in
      let words = line.split(separator: " ")
      guard words.count == 3, words[0] == "HERMIT-FRAME", words[2].hasPrefix("app+0x"),
        let offset = UInt64(words[2].dropFirst(6), radix: 16)
      else { return nil }
      return Frame(isReturnAddress: words[1] == "ret", offset: offset)
    }
  }

  /// `$HERMIT_SYMBOLIZER`, else Swift's llvm-symbolizer, else the first on PATH.
  static var symbolizer: String? {
    let environment = ProcessInfo.processInfo.environment
    var candidates = [environment["HERMIT_SYMBOLIZER"], "/opt/swift/usr/bin/llvm-symbolizer"]
    for directory in (environment["PATH"] ?? "").split(separator: ":") {
      candidates.append("\(directory)/llvm-symbolizer")
    }
    return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// The backtrace lines to print after a panic, or nil when there are no frames,
  /// no symbols for this app in the store, or no llvm-symbolizer.
  static func report(statusFile: String, appPath: String) -> [String]? {
    guard let text = try? String(contentsOfFile: statusFile, encoding: .utf8) else { return nil }
    let frames = frames(inRecord: text)
    guard !frames.isEmpty, let symbolizer,
      let store = try? ImageStore(root: ImageStore.defaultRoot()),
      let symbols = store.symbols(forAppAt: appPath)
    else { return nil }
    let addresses = frames.map {
      "0x" + String($0.offset - ($0.isReturnAddress ? 1 : 0), radix: 16)
    }
    guard
      let output = run(
        symbolizer, ["--obj=\(symbols.path)", "--inlining"] + addresses)
    else { return nil }
    // Per address: (function, file:line:column) pairs, innermost first, then a blank line.
    let blocks = output.components(separatedBy: "\n\n").filter { !$0.isEmpty }
    guard blocks.count == frames.count else { return nil }
    var names: [String] = []
    var locations: [String] = []
    var owners: [Int] = []
    for (index, block) in blocks.enumerated() {
      let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      for pair in stride(from: 0, to: lines.count - 1, by: 2) {
        names.append(lines[pair])
        locations.append(lines[pair + 1])
        owners.append(index)
      }
    }
    let demangled = demangle(names)
    var report: [String] = []
    var frameLines: [String] = []
    for (position, name) in demangled.enumerated() {
      let location = locations[position]
      // No line for compiler-generated code or a library without line tables.
      let known =
        !location.hasPrefix("??") && !location.contains("<compiler-generated>")
        && !location.hasSuffix(":0:0")
      let at = known ? " at \(location)" : ""
      if name.hasPrefix("Swift runtime failure") {
        // The trap's reason, as an inlined frame of the trapping instruction.
        report.append("\(Sanitized.escaped(name))\(Sanitized.escaped(trapSite(from: position)))")
        continue
      }
      frameLines.append("  #\(owners[position]) \(Sanitized.escaped(name))\(Sanitized.escaped(at))")
    }
    report.append("backtrace (symbols from \(symbols.path)):")
    return report + frameLines

    /// " at FILE:LINE:COL" of the first frame after `position` with a known line.
    func trapSite(from position: Int) -> String {
      for next in position..<locations.count where owners[next] == owners[position] {
        let location = locations[next]
        if !location.hasPrefix("??") && !location.contains("<compiler-generated>")
          && !location.hasSuffix(":0:0")
        {
          return " in \(demangled[next]) at \(location)"
        }
      }
      return ""
    }
  }

  /// Swift's mangled names made readable by swift-demangle, if it is there.
  static func demangle(_ names: [String]) -> [String] {
    let tool = "/opt/swift/usr/bin/swift-demangle"
    let mangled = names.filter { ["$s", "_$s", "$e", "_$e"].contains(where: $0.hasPrefix) }
    guard !mangled.isEmpty, FileManager.default.isExecutableFile(atPath: tool),
      let output = run(tool, ["--simplified"] + mangled)
    else { return names }
    // swift-demangle prints "name ---> demangled" for each argument.
    var readable: [String: String] = [:]
    for line in output.split(separator: "\n") {
      guard let arrow = line.firstRange(of: " ---> ") else { continue }
      readable[String(line[..<arrow.lowerBound])] = String(line[arrow.upperBound...])
    }
    return names.map { readable[$0] ?? $0 }
  }

  /// Runs a tool to its end; its stdout, or nil if it failed.
  private static func run(_ tool: String, _ arguments: [String]) -> String? {
    var options = ChildProcess.Options()
    options.newProcessGroup = false
    guard
      let result = try? ChildProcess.capture(
        path: tool, argv: [PathText.leaf(of: tool)] + arguments, options: options),
      result.status == 0
    else { return nil }
    return String(decoding: result.stdout, as: UTF8.self)
  }
}
