import FoundationEssentials
import HermitOCI
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Errors of the runtime itself (exit status 125, docker's convention).
///
/// The CLI prints `description` as one line after `hermit-runtime: error: `.
enum RuntimeError: Error, CustomStringConvertible {
  case imageNotFound(String)
  /// IMAGE names a file or directory that holds no image (`reason`), and no
  /// stored image has that name either.
  case notAnImage(reason: String, reference: String)
  case containerNotFound(String)
  case nameInUse(String)
  case invalidName(String)
  case invalidArgument(String)
  case invalidState(id: String, status: String, wanted: String)
  /// A signal for a container that has stopped (runc's words, which containerd's
  /// shim recognizes).
  case notRunning(String)
  case invalidBundle(String)
  case network(String)
  case io(path: String, reason: String)
  /// A state directory that is not a private directory of the caller.
  case unsafeStateDirectory(PrivateDirectory.Refusal)
  /// An OCI hook (config.md "POSIX-platform Hooks") failed.
  case hookFailed(kind: String, index: Int, path: String, reason: String)
  /// An OCI command that has no meaning for a VM (`exec`).
  case unsupported(String)
  case qemu(HermitQEMUError)
  case image(HermitOCIError)
  /// Any other error (Foundation's, the system's), as it describes itself.
  case other(String)

  /// The message, with any control character from image or bundle data escaped.
  var description: String { Sanitized.line(rawDescription) }

  private var rawDescription: String {
    switch self {
    case .imageNotFound(let image):
      return "image not found: \(image) (not a file, directory or stored reference)"
    case .notAnImage(let reason, let reference):
      return "\(reason), and no stored image is named \(reference)"
    case .containerNotFound(let id): return "no such container: \(id)"
    case .nameInUse(let name):
      return
        "the name \"\(name)\" is already in use by another container (remove it with: hermit-runtime rm \(name))"
    case .invalidName(let name):
      return "invalid container name \"\(name)\" (use [a-zA-Z0-9][a-zA-Z0-9_.-]*)"
    case .invalidArgument(let text): return text
    case .invalidState(let id, let status, let wanted):
      return "container \(id) is \(status), not \(wanted)"
    case .notRunning(let id): return "container not running: \(id) has stopped"
    case .invalidBundle(let reason): return "invalid bundle: \(reason)"
    case .network(let reason): return "network setup failed: \(reason)"
    case .io(let path, let reason): return "\(path): \(reason)"
    case .hookFailed(let kind, let index, let path, let reason):
      return "\(kind) hook \(index) (\(path)) failed: \(reason)"
    case .unsupported(let text): return text
    case .unsafeStateDirectory(let refusal):
      return "state directory refused: \(refusal) (remove it, or choose another with --root)"
    case .qemu(let error): return error.description
    case .image(let error): return error.description
    case .other(let message): return message
    }
  }

  /// Wraps any error of the libraries into a RuntimeError.
  static func wrap(_ error: any Error) -> RuntimeError {
    switch error {
    case let error as RuntimeError: return error
    case let error as HermitQEMUError: return .qemu(error)
    case let error as HermitOCIError: return .image(error)
    case let error as PrivateDirectory.Refusal: return .unsafeStateDirectory(error)
    case let error as SystemError:
      return .io(path: error.path, reason: error.reason)
    case let error as CocoaError:
      // Foundation's file errors: the path and the system's reason, one line.
      if let path = error.filePath, let posix = error.underlying as? POSIXError {
        return .io(path: path, reason: String(cString: strerror(posix.code.rawValue)))
      }
      return .other("\(error)")
    default: return .other("\(error)")
    }
  }
}
