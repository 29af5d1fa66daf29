import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Writes OCI image layout tarballs (image-spec/image-layout.md) reproducibly.
///
/// Entry order is fixed: `oci-layout`, `index.json`, `blobs/`, `blobs/sha256/`, then
/// blobs by digest; index entries are sorted by name. `build -o` and `save` both
/// write through here, which is why save after load gives the same bytes.
public enum LayoutArchive {
  /// Where a blob's bytes come from.
  public enum BlobSource {
    case data(Data)
    /// A file that must be `size` bytes hashing to the blob's digest.
    case file(URL, size: Int64)
  }

  /// Writes the layout tarball atomically to `url`: each image is named in index.json
  /// by `org.opencontainers.image.ref.name` (the full `name:tag` as given, which
  /// podman uses) and `io.containerd.image.name` (normalized,
  /// `docker.io/library/name:tag`, as docker writes it: `ctr import` keeps it and
  /// the CRI finds a pod's image only by it).
  public static func write(
    to url: URL, images: [(reference: Reference, manifest: Descriptor)],
    blobs: [Digest: BlobSource], epoch: Int = reproducibleEpoch()
  ) throws {
    let entries = images.map { image -> Descriptor in
      let name = image.reference.description
      let containerdName = image.reference.normalized.description
      return Descriptor(
        mediaType: image.manifest.mediaType, digest: image.manifest.digest,
        size: image.manifest.size,
        annotations: [
          AnnotationKey.refName: name, AnnotationKey.containerdImageName: containerdName,
        ],
        platform: .hermit)
    }.sorted { $0.annotations![AnnotationKey.refName]! < $1.annotations![AnnotationKey.refName]! }
    let index = try CanonicalJSON.encode(Index(manifests: entries))
    let layout = try CanonicalJSON.encode(ImageLayout())

    let temporary = AtomicFile.temporaryURL(for: url)
    try AtomicFile.fill(temporary, errorPath: url.path) { fd in
      let writer = try TarWriter(compression: .none, mtime: epoch, fd: fd)
      try writer.addFile("oci-layout", data: layout)
      try writer.addFile("index.json", data: index)
      try writer.addDirectory("blobs")
      try writer.addDirectory("blobs/sha256")
      for digest in blobs.keys.sorted() {
        let path = "blobs/sha256/" + digest.hex
        switch blobs[digest]! {
        case .data(let data): try writer.addFile(path, data: data)
        case .file(let source, let size):
          try writer.addFile(path, contentsOf: source, size: size, digest: digest)
        }
      }
      try writer.finish()
    }
    try AtomicFile.rename(temporary, to: url)
  }
}
