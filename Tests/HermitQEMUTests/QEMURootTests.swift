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

  @Test func theFileCacheReadsBackWhatItWrites() throws {
    let cache = QEMURoot.FileCache(
      key: "/usr/bin/qemu|1|2|3", directories: "/usr/bin=1.2 /usr/lib=3.4", tree: "qemu-root-ab",
      files: [
        Confinement.File(source: "/usr/bin/qemu", path: "/usr/bin/qemu"),
        Confinement.File(source: "/usr/lib/libz.so.1.2", path: "/lib/libz.so.1"),
      ])
    #expect(QEMURoot.FileCache.parse(cache.text) == cache)
    var untreed = cache
    untreed.tree = nil
    #expect(QEMURoot.FileCache.parse(untreed.text) == untreed)
    // The format before `dirs` and `tree`: not trusted, so rebuilt.
    #expect(QEMURoot.FileCache.parse("/usr/bin/qemu|1|2|3\n/usr/bin/qemu\t/usr/bin/qemu\n") == nil)
  }

  /// A boot trusts the cached list and tree while the files' directories are
  /// unchanged; adding, removing or renaming a file in one changes its signature.
  @Test func aChangedDirectoryChangesTheSignature() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-signature-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let library = directory + "/libx.so.1"
    #expect(FileManager.default.createFile(atPath: library, contents: Data("1".utf8)))
    let files = [Confinement.File(source: library, path: "/lib/libx.so.1")]
    let before = QEMURoot.FileCache.signature(of: files)
    #expect(QEMURoot.FileCache.signature(of: files) == before)
    usleep(10_000)
    // An upgrade: the new version is renamed over the old one.
    #expect(FileManager.default.createFile(atPath: library + ".new", contents: Data("2".utf8)))
    #expect(rename(library + ".new", library) == 0)
    #expect(QEMURoot.FileCache.signature(of: files) != before)
  }

  /// The cached tree is what a boot binds; a stale cache is rebuilt, not trusted.
  @Test func qemusFilesComeFromTheCacheWhileItHolds() throws {
    let qemu = try #require(ChildProcess.resolveExecutable("qemu-system-x86_64"))
    let cacheDirectory = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-qemu-cache-\(getpid())")
    defer { try? FileManager.default.removeItem(at: cacheDirectory) }
    let root = QEMURoot(qemu: qemu, cacheDirectory: cacheDirectory)
    let (files, first) = try root.qemuFiles()
    let written = try #require(first)
    #expect(files.contains { $0.path == qemu })
    let tops = try #require(root.linkedTree(of: files, cache: written))
    #expect(tops.map(\.path).contains("/usr"))
    let stored = try #require(QEMURoot.FileCache.read(from: cacheDirectory))
    #expect(stored.tree != nil && stored.files == files)
    // A tree that vanished is rebuilt under the same name.
    try FileManager.default.removeItem(
      at: cacheDirectory.appendingPathComponent(stored.tree!))
    #expect(try #require(root.linkedTree(of: files, cache: stored)) == tops)
    // A stale directory signature: every file is checked, and the list kept.
    var stale = stored
    stale.directories = "/nowhere=0.0"
    stale.write(to: cacheDirectory)
    let (again, rechecked) = try root.qemuFiles()
    #expect(again == files && rechecked?.directories == stored.directories)
  }

  @Test func aPathsAncestorsComeOutermostFirst() {
    #expect(
      Confinement.Root.ancestors(of: "/usr/lib/x86_64-linux-gnu/libz.so.1")
        == ["/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu"])
    #expect(Confinement.Root.ancestors(of: "/hermit").isEmpty)
  }
}
