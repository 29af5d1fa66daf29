/// The accelerator a VM runs on.
public enum Accelerator: String, Codable, Sendable, CaseIterable {
  /// Hardware virtualization. Fast, but on some hosts (nested, see PLATFORM.md) it
  /// fails on the first SSE instruction and QEMU hangs: use only after a probe.
  case kvm
  /// QEMU's binary translator: always works, slower.
  case tcg
}

/// What the user asked for with `--accel`.
public enum AcceleratorChoice: String, Codable, Sendable, CaseIterable {
  /// KVM if the probe says it runs our guests, else TCG.
  case auto
  case kvm
  case tcg
}
