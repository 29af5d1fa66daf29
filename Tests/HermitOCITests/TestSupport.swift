import Foundation

@testable import HermitOCI

/// A fresh temporary directory; the caller removes it in `defer`.
func makeTemporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "hermit-oci-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// An image with a fake loader and app (the library does not look inside the ELFs).
func sampleImage(name: String = "hello:latest", app: String = "app bytes", args: [String] = [])
  throws -> BuiltImage
{
  try ImageBuilder.build(
    loader: Data("loader bytes".utf8), app: Data(app.utf8),
    spec: ImageSpec(
      reference: try Reference(parsing: name), metadata: HermitMetadata(cpus: 2, memoryMiB: 128),
      env: ["A=1"], args: args, epoch: 0))
}

/// Runs python3 with `script` and arguments; fails the caller on a non-zero exit.
func python(_ script: String, _ arguments: [String]) throws {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script] + arguments
  try process.run()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw HermitOCIError.invalidArgument("python3 exited \(process.terminationStatus)")
  }
}
