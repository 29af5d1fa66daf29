import Foundation
import Testing

@testable import HermitQEMU

/// What a confined QEMU's root holds (issue 13, item 3).
@Suite struct QEMURootTests {
  @Test func lddLinesGiveTheLibraryPathsAndNothingElse() {
    let text = """
      \tlinux-vdso.so.1 (0x00007ffd4b1f2000)
      \tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f2a1c000000)
      \tlibmissing.so.3 => not found
      \t/lib64/ld-linux-x86-64.so.2 (0x00007f2a1c400000)
      """
    #expect(
      QEMURoot.parseLDD(text) == [
        "/lib/x86_64-linux-gnu/libz.so.1", "/lib64/ld-linux-x86-64.so.2",
      ])
  }

  @Test func theGuestsFilesAppearUnderHermitAndOnlyTheStatusAndLogAreWritable() throws {
    let qemu = try #require(ChildProcess.resolveExecutable("qemu-system-x86_64"))
    let vm = {
      var vm = VMConfiguration(
        name: "t", loader: "/bin/true", app: "/bin/false", commandLine: "", statusFile: "/dev/null")
      vm.consoleLog = "/dev/zero"
      return vm
    }()
    let made = try QEMURoot(qemu: qemu, cacheDirectory: nil).make(
      for: vm, pcFirmware: nil, mountPoint: "/mnt")
    #expect(made.vm.loader == QEMURoot.loader && made.vm.app == QEMURoot.app)
    #expect(made.vm.statusFile == QEMURoot.statusFile && made.vm.consoleLog == QEMURoot.consoleLog)
    let writable = made.root.files.filter(\.writable).map(\.path)
    #expect(writable == [QEMURoot.statusFile, QEMURoot.consoleLog])
    let paths = Set(made.paths)
    #expect(paths.contains(qemu))
    #expect(paths.contains("/dev/null") && !paths.contains("/dev/kvm"))
    for outside in ["/etc", "/proc", "/sys", "/home", "/root", "/tmp", "/run", "/var"] {
      #expect(!paths.contains(outside), "\(outside)")
    }
    // Every file exists on the host: the cache never names a vanished library.
    for file in made.root.files { #expect(access(file.source, R_OK) == 0, "\(file.source)") }
  }
}
