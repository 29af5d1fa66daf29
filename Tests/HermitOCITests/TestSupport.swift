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

/// `image` with more layers on top (each a list of path and content, parents
/// created; a `.wh.` name is written as a plain file, as tools write whiteouts) and
/// `history` history entries in its config.
func sampleImage(
  _ image: BuiltImage, extraLayers: [[(String, String)]] = [], history: Int? = nil
) throws -> BuiltImage {
  var config = image.config
  var layers = image.manifest.layers
  var blobs = image.blobs
  blobs[image.manifestDescriptor.digest] = nil
  blobs[image.manifest.config.digest] = nil
  for files in extraLayers {
    let layer = try ImageBuilder.layer(
      epoch: 0, files: files.map { ($0.0, Data($0.1.utf8), Int32(0o644)) })
    layers.append(layer.descriptor)
    config.rootfs.diffIDs.append(layer.diffID)
    blobs[layer.descriptor.digest] = layer.data
  }
  if let history {
    config.history = (0..<history).map { .init(created: nil, createdBy: "step \($0)") }
  }
  let configData = try CanonicalJSON.encode(config)
  var manifest = image.manifest
  manifest.config = Descriptor(
    mediaType: MediaType.imageConfig, digest: .sha256(configData), size: Int64(configData.count))
  manifest.layers = layers
  let manifestData = try CanonicalJSON.encode(manifest)
  let manifestDescriptor = Descriptor(
    mediaType: MediaType.imageManifest, digest: .sha256(manifestData),
    size: Int64(manifestData.count))
  blobs[manifest.config.digest] = configData
  blobs[manifestDescriptor.digest] = manifestData
  return BuiltImage(
    reference: image.reference, manifestDescriptor: manifestDescriptor, manifest: manifest,
    config: config, blobs: blobs)
}

/// Writes `image` as a layout tarball in `dir`, named under each of `names`.
func writeLayout(_ image: BuiltImage, names: [String]? = nil, in dir: URL) throws -> URL {
  let url = dir.appendingPathComponent("layout-\(UUID().uuidString).tar")
  let references = try (names ?? [image.reference.description]).map { try Reference(parsing: $0) }
  try LayoutArchive.write(
    to: url, images: references.map { ($0, image.manifestDescriptor) },
    blobs: image.blobs.mapValues { .data($0) })
  return url
}
