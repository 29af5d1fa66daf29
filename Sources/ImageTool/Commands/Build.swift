import ArgumentParser
import Foundation
import HermitOCI

/// `hermit-image build`: compiles an app (or takes a prebuilt ELF) and packs it with
/// the loader into an OCI image.
///
/// With `-o` the image is written as a layout tarball; with `-t`, or when `-o` is
/// not given, it is stored in the local store (default name: the app's, tag latest).
struct Build: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Build an app folder or a prebuilt app ELF into a hermit OCI image.")

  @Option(name: [.short, .customLong("tag")], help: "Name the image NAME[:TAG] in the store.")
  var tag: String?

  @Option(name: [.short, .customLong("output")], help: "Write an OCI image layout tarball.")
  var output: String?

  // .unconditional: `--cpus -1` is a bad value, not a missing one.
  @Option(parsing: .unconditional, help: "Virtual CPUs.")
  var cpus: Int = 1

  @Option(parsing: .unconditional, help: "Guest memory (64, 64M, 1G, ...; plain numbers are MiB).")
  var memory: String = "64M"

  @Option(name: .customLong("env"), help: "Environment entry KEY=VALUE (repeatable).")
  var env: [String] = []

  @Option(name: .customLong("expose"), help: "TCP port the app listens on (repeatable).")
  var expose: [String] = []

  @Argument(help: "An app folder (.swift files or a SwiftPM-style package) or a prebuilt app ELF.")
  var app: String

  @Argument(parsing: .postTerminator, help: "Default arguments of the app (after --).")
  var args: [String] = []

  func run() throws {
    let started = Date()
    let appURL = URL(fileURLWithPath: app).standardizedFileURL
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: appURL.path, isDirectory: &isDirectory) else {
      throw ImageToolError.invalidArgument("\(app): no such file or directory")
    }
    let appName = appURL.deletingPathExtension().lastPathComponent
    let reference =
      try tag.map { try Reference(parsing: $0).withDefaultTag } ?? defaultReference(appName)
    guard reference.digest == nil else {
      throw HermitOCIError.invalidReference(tag ?? "", reason: "a build tag cannot carry a digest")
    }
    guard (1...255).contains(cpus) else {
      throw ImageToolError.invalidArgument("invalid --cpus \(cpus) (1-255)")
    }
    let metadata = HermitMetadata(
      cpus: cpus, memoryMiB: try MemorySize.parseMiB(memory), exposedPorts: try ports())
    let spec = ImageSpec(
      reference: reference, metadata: metadata, env: env, args: args,
      epoch: SourceDate.epoch(app: appURL, isDirectory: isDirectory.boolValue))
    try spec.validate()

    let toolchain = try Toolchain.find()
    let loader = try toolchain.loaderData()
    let elf: Data
    var symbols: Data?
    if isDirectory.boolValue {
      (elf, symbols) = try AppCompiler(toolchain: toolchain).compile(folder: appURL, name: appName)
    } else {
      guard let data = try? Data(contentsOf: appURL) else {
        throw HermitOCIError.io(path: appURL.path, reason: "cannot read")
      }
      elf = data
    }
    try AppCheck.validate(elf, path: appURL.path)

    Progress.say(
      "packing \(reference) (app \(humanSize(Int64(elf.count))), loader \(humanSize(Int64(loader.count))))"
    )
    let image = try ImageBuilder.build(loader: loader, app: elf, spec: spec)
    if let output {
      try LayoutArchive.write(
        to: URL(fileURLWithPath: output), images: [(reference, image.manifestDescriptor)],
        blobs: image.blobs.mapValues { .data($0) })
      Progress.say("wrote \(output)")
    }
    if tag != nil || output == nil {
      try openStore().add(image)
      Progress.say("stored \(reference)")
    }
    // The symbols stay on this machine, next to the images, for panics' backtraces.
    if let symbols {
      try openStore().saveSymbols(symbols, forApp: elf, layer: image.manifest.layers.last?.digest)
    }
    let seconds = Date().timeIntervalSince(started)
    Progress.say(String(format: "built %@ in %.2fs", reference.description, seconds))
    // The image ID on stdout, for scripts (like `podman build -q`).
    print(image.manifest.config.digest.description)
  }

  /// The app's name made into a repository name (lowercase, invalid characters to -).
  private func defaultReference(_ appName: String) throws -> Reference {
    let cleaned = String(
      appName.lowercased().map {
        $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") ? $0 : "-"
      }
    )
    .trimmingCharacters(in: CharacterSet(charactersIn: "-._"))
    guard let reference = try? Reference(parsing: cleaned + ":latest") else {
      throw ImageToolError.invalidArgument(
        "cannot derive an image name from \(Sanitized.quoted(appName)); name it with -t NAME[:TAG]")
    }
    return reference
  }

  private func ports() throws -> [Int] {
    try expose.map { text in
      let number = text.hasSuffix("/tcp") ? String(text.dropLast(4)) : text
      guard let port = Int(number), (1...65535).contains(port) else {
        throw ImageToolError.invalidArgument(
          "invalid port \(Sanitized.quoted(text)) (1-65535, optionally /tcp)")
      }
      return port
    }.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
  }
}
