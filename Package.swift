// swift-tools-version:6.1
// Host tools and host-testable libraries of Hermit for Swift.
//
// The guest side (Sources/Kernel, Sources/Loader) is Embedded Swift + NASM for
// x86_64-unknown-none-elf and is built by the Makefile with swiftc, nasm and
// ld.lld directly (see Makefile), because SwiftPM cannot assemble NASM or run a
// custom link. Sources/BootFormat is compiled both ways: here for host tests and
// fuzzing, and into the loader and kernel by the Makefile.
//
// Linux only (x86_64 hosts with QEMU, PLATFORM.md): no platforms entry, no
// Darwin branches.
import PackageDescription

/// The tools link as position-dependent executables in release builds: a PIE of
/// this size carries some 77,000 relative relocations that the dynamic loader
/// applies at every start (about 200 page faults and 1.5 ms of `hermit-runtime run`,
/// which is on a container's boot path).
let positionDependent: [LinkerSetting] = [
  .unsafeFlags(["-Xclang-linker", "-no-pie"], .when(configuration: .release))
]

/// hermit-runtime links fully static in release builds: the dynamic loader's work
/// for libstdc++, libm, libgcc_s and libc (mapping, relocating, binding, and the
/// page faults of it all) was about 1 ms of every `run`, a third of the runtime's
/// own start. The libraries it opens lazily (libarchive, libcrypto: LazyLink) are
/// dlopen'ed from the static binary, which glibc allows with the same glibc at run
/// time as at link time: the runtime is built on the host it runs on (PLATFORM.md).
let fullyStatic: [LinkerSetting] = [
  .unsafeFlags(["-static-executable"], .when(configuration: .release))
]

let package = Package(
  name: "Hermit",
  products: [
    .executable(name: "hermit-image", targets: ["ImageTool"]),
    .executable(name: "hermit-runtime", targets: ["Runtime"]),
    .library(name: "BootFormat", targets: ["BootFormat"]),
    .library(name: "HermitOCI", targets: ["HermitOCI"]),
    .library(name: "HermitQEMU", targets: ["HermitQEMU"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // Boot-time formats shared by loader, kernel and host: ELF64, boot info,
    // kernel command line, exit status record. No Foundation, Embedded-clean.
    .target(name: "BootFormat"),
    // The portable network stack (Ethernet, ARP, IPv4, ICMP, UDP, DHCP, DNS,
    // TCP). Embedded-clean; compiled into the kernel by the Makefile.
    .target(name: "NetStack"),
    // libarchive (headers: libarchive-dev) for tar and gzip, and SHA-256 from the
    // system's libcrypto (headers: libssl-dev; no second copy of BoringSSL to
    // build). Neither is linked: each is loaded at its first use
    // (Sources/LazyLink/lazy_link.h), which most commands never make.
    .systemLibrary(name: "CArchive"),
    .systemLibrary(name: "CCrypto"),
    // System calls Swift cannot make safely: variadic or _GNU_SOURCE-only calls,
    // SCM_RIGHTS, and a confined child's steps between fork and execve.
    .target(name: "CHermitSys"),
    // Host system helpers shared by the libraries and tools: atomic file writes.
    .target(name: "HermitSystem", dependencies: ["CHermitSys"]),
    // OCI image layout, image store, tar handling.
    .target(name: "HermitOCI", dependencies: ["CArchive", "CCrypto", "HermitSystem"]),
    // QEMU command line, accelerator probe, guest exit status, supervision.
    .target(name: "HermitQEMU", dependencies: ["BootFormat", "CHermitSys", "HermitSystem"]),
    .executableTarget(
      name: "ImageTool",
      dependencies: [
        "HermitOCI",
        "HermitSystem",
        "BootFormat",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      linkerSettings: positionDependent
    ),
    .executableTarget(
      name: "Runtime",
      dependencies: [
        "HermitOCI",
        "HermitQEMU",
        "HermitSystem",
        "BootFormat",
        "CHermitSys",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      linkerSettings: positionDependent + fullyStatic
    ),
    .testTarget(name: "BootFormatTests", dependencies: ["BootFormat"]),
    .testTarget(name: "HermitSystemTests", dependencies: ["HermitSystem"]),
    .testTarget(name: "NetStackTests", dependencies: ["NetStack"]),
    .testTarget(name: "HermitOCITests", dependencies: ["HermitOCI", "TestSupport"]),
    // Helpers shared by the test targets.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "HermitQEMUTests", dependencies: ["HermitQEMU", "TestSupport"]),
    // Boots real guests (build/ artifacts from `make`) under QEMU/TCG.
    .testTarget(
      name: "GuestTests",
      dependencies: ["BootFormat", "HermitOCI", "HermitQEMU", "TestSupport"]),
    // Drives the built hermit-image / hermit-runtime binaries and real checkers.
    .testTarget(name: "ImageToolTests", dependencies: ["HermitOCI"]),
    .testTarget(
      name: "RuntimeTests", dependencies: ["HermitOCI", "HermitQEMU", "Runtime", "TestSupport"]),
  ]
)
