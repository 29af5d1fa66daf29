import ArgumentParser
import FoundationEssentials

/// OCI `features` (runtime-spec 1.1 features.md): what this runtime recognizes in
/// config.json. A field left out means "unknown"; an empty array means "none".
struct Features: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "features", abstract: "OCI: print the features this runtime implements as JSON.")

  @OptionGroup var global: GlobalOptions

  /// features.md "Features structure", the parts with something to say.
  struct Document: Encodable, Equatable {
    struct Linux: Encodable, Equatable {
      struct Enabled: Encodable, Equatable { var enabled: Bool }
      struct Cgroup: Encodable, Equatable {
        var v1: Bool
        var v2: Bool
        var systemd: Bool
        var systemdUser: Bool
        var rdma: Bool
      }
      /// Only `network` is joined (QEMU runs in the engine's network namespace);
      /// the VM is the isolation for everything else.
      var namespaces = ["network"]
      /// A VM has no Linux capabilities to grant its application.
      var capabilities: [String] = []
      /// `linux.cgroupsPath` is joined and QEMU's memory and pids are limited
      /// there, on either hierarchy, by path (not through systemd).
      var cgroup = Cgroup(v1: true, v2: true, systemd: false, systemdUser: false, rdma: false)
      var seccomp = Enabled(enabled: false)
      var apparmor = Enabled(enabled: false)
      var selinux = Enabled(enabled: false)
    }
    var ociVersionMin = "1.0.0"
    var ociVersionMax = HermitRuntime.ociVersion
    var hooks = OCIHooks.Kind.allCases.map(\.rawValue)
    /// config.json's mounts are not mounted into the guest by this runtime.
    var mountOptions: [String] = []
    var linux = Linux()
    var annotations = [
      "org.hermit.runtime.version": HermitRuntime.version,
      "org.hermit.runtime.vm": "qemu",
    ]
  }

  func run() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(Document()), as: UTF8.self))
  }
}
