import FoundationEssentials
import HermitQEMU

/// What the runtime remembers about one container: `<root>/<id>/state.json`.
///
/// Written atomically (temporary file + rename) by the command that creates the
/// container and by the process that supervises its VM; read by everything else.
struct ContainerRecord: Codable, Sendable {
  /// How the container came to be.
  enum Kind: String, Codable, Sendable {
    /// `hermit-runtime run` (docker-style lifecycle commands).
    case run
    /// `hermit-runtime create` (OCI runtime CLI).
    case oci
  }

  /// The status as the runtime-spec names it.
  enum Status: String, Codable, Sendable {
    case creating, created, running, stopped
  }

  /// The directory name: the OCI ID, or the name given to `run`.
  var id: String
  var kind: Kind
  /// What the user called the image (tarball path, directory or reference).
  var image: String
  /// OCI bundle directory (or the rootfs's parent for `run`).
  var bundle: String
  var created: Date
  var started: Date?
  var finished: Date?
  /// The process that owns the VM: the shim (detached, OCI) or `run` itself.
  var pid: Int32?
  /// `/proc/<pid>/stat` start time of `pid`, so a recycled pid is not mistaken for it.
  var pidStartTime: UInt64?
  /// QEMU's pid while it runs.
  var qemuPid: Int32?
  /// The container's exit code once it stopped.
  var exitCode: Int32?
  /// One line explaining a failure (panic, QEMU error).
  var failure: String?
  /// The VM to boot.
  var vm: VMConfiguration
  /// `run --rm`: remove the container when it stops.
  var autoRemove: Bool
  /// Console output of a detached container.
  var logPath: String?
  /// OCI annotations from config.json: shown by `state`, never acted on.
  var annotations: [String: String]
  /// The tap device `run --net tap` created for this container, removed with it.
  var createdTap: String?
  /// Network namespace QEMU must run in (OCI bundles).
  var networkNamespace: String?
  /// `linux.cgroupsPath` of an OCI bundle, joined at create, removed at delete.
  var cgroupsPath: String?
  /// How QEMU is confined, noted when it starts (issue 13).
  var confinement: ConfinementReport?
  /// The OCI bundle's hooks, as `create` accepted them.
  var hooks: OCIHooks?
}
