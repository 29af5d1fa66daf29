/// The metadata a hermit image carries for its runtime.
///
/// It travels twice: as config labels / manifest annotations (for registries and
/// `inspect`), and as `hermit/image.json` inside the app layer, because labels never
/// reach an OCI runtime's bundle (PLATFORM.md) and `create` must find it in the rootfs.
public struct HermitMetadata: Codable, Equatable, Sendable {
  /// Path of the loader inside the rootfs (`hermit/loader`).
  public var loader: String
  /// Path of the app ELF inside the rootfs (`hermit/app`).
  public var app: String
  /// Virtual CPUs to boot with.
  public var cpus: Int
  /// Guest memory in MiB.
  public var memoryMiB: Int
  /// TCP ports the app listens on (like `EXPOSE`).
  public var exposedPorts: [Int]

  public static let path = "hermit/image.json"

  public init(
    loader: String = "hermit/loader", app: String = "hermit/app", cpus: Int = 1,
    memoryMiB: Int = 64, exposedPorts: [Int] = []
  ) {
    self.loader = loader
    self.app = app
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.exposedPorts = exposedPorts
  }
}
