/// The accelerator probe guest: a 68-byte Multiboot kernel that executes SSE and
/// exits through isa-debug-exit with status 67. Source and how to regenerate:
/// scripts/runtime-probe-guest.asm, scripts/runtime-gen-probe.sh.
public enum ProbeGuest {
  /// QEMU's exit status when the probe ran to its end: (0x21 << 1) | 1.
  public static let successStatus: Int32 = 67
}
