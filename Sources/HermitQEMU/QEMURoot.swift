import FoundationEssentials
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// The root a confined QEMU sees (issue 13, item 3): the guest's loader and app,
/// the status file and console log under `/hermit`, the devices QEMU opens, and
/// what QEMU needs to start at all (its binary, the shared libraries it links,
/// its TCG module and the few firmware blobs x86 machines load), each read-only
/// at its host path. Nothing else of the host exists there: no /etc, /home,
/// /proc, /sys, no image store, no other container.
public struct QEMURoot: Sendable {
  /// Where the guest's files appear inside the root.
  public static let loader = "/hermit/loader"
  public static let app = "/hermit/app"
  public static let statusFile = "/hermit/status"
  public static let consoleLog = "/hermit/console.log"
  public static let environmentFile = "/hermit/environment"
  public static let monitor = "/hermit/monitor"

  /// Firmware x86 machines load by name from QEMU's data directory: microvm's
  /// BIOS (qboot), the option ROMs `-kernel` uses (multiboot, linuxboot, PVH) and
  /// the KVM VAPIC ROM of `pc`.
  static let firmware = [
    "bios-microvm.bin", "qboot.rom", "multiboot_dma.bin", "multiboot.bin", "linuxboot_dma.bin",
    "linuxboot.bin", "pvh.bin", "kvmvapic.bin",
  ]

  /// The QEMU binary (an absolute path, resolved from PATH).
  public var qemu: String
  /// Where `qemu-files.json` caches the library list; nil: resolve each time.
  public var cacheDirectory: URL?

  public init(qemu: String, cacheDirectory: URL?) {
    self.qemu = qemu
    self.cacheDirectory = cacheDirectory
  }

  /// The root for `vm`, mounted at `mountPoint`, `vm` with its paths as QEMU
  /// sees them there, and every path QEMU can reach. `device` numbers come from
  /// the host's nodes.
  /// - Parameters:
  ///   - qemuPart: `prepareQEMU()`'s result, when made beforehand.
  ///   - guestFiles: the loader and app already opened (`VMConfiguration.guestFiles`):
  ///     the child binds them by the paths they were opened by and checks that
  ///     it bound those very files (`Confinement.File.sameAsDescriptor`).
  public func make(
    for vm: VMConfiguration, pcFirmware: String?, mountPoint: String, qemuPart: QEMUPart? = nil,
    guestFiles: (loader: RootedFile, app: RootedFile)? = nil
  ) throws(HermitQEMUError) -> (root: Confinement.Root, vm: VMConfiguration, paths: [String]) {
    var part: QEMUPart
    if let qemuPart { part = qemuPart } else { part = try prepareQEMU() }
    if let pcFirmware, vm.machine == .pc, !part.files.contains(where: { $0.path == pcFirmware }) {
      part.files.append(Confinement.File(source: Self.realPath(pcFirmware), path: pcFirmware))
      part.binds = linkedTree(of: part.files) ?? part.files
    }
    let qemuFiles = part.files
    var files = part.binds
    var confined = vm
    confined.loader = Self.loader
    confined.app = Self.app
    confined.statusFile = Self.statusFile
    files += [
      guestFiles.map { Confinement.File(opened: $0.loader, path: Self.loader) }
        ?? Confinement.File(source: Self.realPath(vm.loader), path: Self.loader),
      guestFiles.map { Confinement.File(opened: $0.app, path: Self.app) }
        ?? Confinement.File(source: Self.realPath(vm.app), path: Self.app),
      Confinement.File(source: Self.realPath(vm.statusFile), path: Self.statusFile, writable: true),
    ]
    if let environment = vm.environmentFile {
      confined.environmentFile = Self.environmentFile
      files.append(Confinement.File(source: Self.realPath(environment), path: Self.environmentFile))
    }
    if let monitor = vm.monitor {
      confined.monitor = Self.monitor
      for end in [".in", ".out"] {
        files.append(
          Confinement.File(
            source: Self.realPath(monitor + end), path: Self.monitor + end, writable: true))
      }
    }
    if let log = vm.consoleLog {
      confined.consoleLog = Self.consoleLog
      files.append(
        Confinement.File(source: Self.realPath(log), path: Self.consoleLog, writable: true))
    }
    var devices = [
      try Self.device("/dev/null", mode: 0o666), try Self.device("/dev/urandom", mode: 0o666),
    ]
    if vm.accelerator == .kvm { devices.append(try Self.device("/dev/kvm", mode: 0o600)) }
    let root = Confinement.Root(mountPoint: mountPoint, files: files, devices: devices)
    let guestFiles = files.filter { $0.path.hasPrefix("/hermit/") }
    let visible = Confinement.Root(
      mountPoint: mountPoint, files: qemuFiles + guestFiles, devices: devices)
    return (root, confined, visible.paths)
  }

  /// What QEMU itself needs in its root, the same for every guest: its files and
  /// what binds them (the linked tree's top directories, or the files).
  public struct QEMUPart: Sendable {
    public var files: [Confinement.File]
    public var binds: [Confinement.File]
  }

  /// QEMU's files (`qemuFiles`) and their binds: one per top-level directory of a
  /// tree of hard links where the files allow it, else one per file. Independent
  /// of the guest, so a boot can prepare it while it unpacks the image.
  public func prepareQEMU() throws(HermitQEMUError) -> QEMUPart {
    let (files, cache) = try qemuFiles()
    return QEMUPart(files: files, binds: linkedTree(of: files, cache: cache) ?? files)
  }

  /// A directory holding hard links to `files` at their paths (`qemu-root-<hash>`
  /// in the cache directory, the hash over every file's path, device and inode,
  /// so an upgraded library makes a new tree), and the binds of its top-level
  /// directories. Binding three directories instead of some 70 files saves a
  /// few milliseconds of every boot. Nil when the cache is on another file system
  /// than a file (hard links cannot cross), or cannot be written. With a `cache`
  /// that still holds, its tree is taken as it is (see `FileCache`).
  func linkedTree(of files: [Confinement.File], cache: FileCache? = nil) -> [Confinement.File]? {
    guard let cacheDirectory else { return nil }
    func complete(_ name: String) -> Bool {
      access(cacheDirectory.appendingPathComponent(name).path + "/.complete", F_OK) == 0
    }
    let name: String
    if let cached = cache?.tree, complete(cached) {
      name = cached
    } else {
      var identity = ""
      for file in files {
        var info = stat()
        guard stat(file.source, &info) == 0 else { return nil }
        identity += "\(file.path)|\(info.st_dev)|\(info.st_ino)\n"
      }
      name = "qemu-root-" + String(FNV1a.hash(identity), radix: 16)
      if !complete(name) {
        guard Self.buildTree(cacheDirectory.appendingPathComponent(name).path, of: files) else {
          return nil
        }
      }
      if var cache {
        cache.tree = name
        cache.write(to: cacheDirectory)
      }
    }
    let tree = cacheDirectory.appendingPathComponent(name).path
    let tops = Set(files.compactMap { $0.path.split(separator: "/").first.map(String.init) })
    return tops.sorted().map { Confinement.File(source: tree + "/" + $0, path: "/" + $0) }
  }

  /// Links `files` below a temporary directory, then renames it to `tree` (a
  /// concurrent run builds its own and one rename wins).
  static func buildTree(_ tree: String, of files: [Confinement.File]) -> Bool {
    let staging = tree + ".\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: staging) }
    for file in files {
      let target = staging + file.path
      let parent = PathText.parent(of: target)
      guard
        (try? FileManager.default.createDirectory(
          atPath: parent, withIntermediateDirectories: true)) != nil,
        link(file.source, target) == 0
      else { return false }
    }
    guard FileManager.default.createFile(atPath: staging + "/.complete", contents: nil) else {
      return false
    }
    return rename(staging, tree) == 0 || access(tree + "/.complete", F_OK) == 0
  }

  /// QEMU's binary, libraries, TCG module and firmware, from the cache when the
  /// binary is unchanged and every file is still there; and the cache as it now
  /// stands (nil without a cache directory).
  func qemuFiles() throws(HermitQEMUError) -> ([Confinement.File], FileCache?) {
    var info = stat()
    guard stat(qemu, &info) == 0 else { throw .qemuNotFound(qemu) }
    let key = "\(qemu)|\(info.st_size)|\(info.st_mtim.tv_sec)|\(info.st_mtim.tv_nsec)"
    guard let cacheDirectory else { return (try resolveFiles(), nil) }
    if var cache = FileCache.read(from: cacheDirectory), cache.key == key {
      let directories = FileCache.signature(of: cache.files)
      // Nothing was added, removed or renamed in any of their directories.
      if cache.directories == directories { return (cache.files, cache) }
      if cache.files.allSatisfy({ access($0.source, R_OK) == 0 }) {
        cache.directories = directories
        cache.tree = nil
        cache.write(to: cacheDirectory)
        return (cache.files, cache)
      }
    }
    let files = try resolveFiles()
    let cache = FileCache(
      key: key, directories: FileCache.signature(of: files), tree: nil, files: files)
    try? FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
    cache.write(to: cacheDirectory)
    return (files, cache)
  }

  /// `qemu-files` in the cache directory: the list of QEMU's files and the tree
  /// linked from them, read on every boot, so plain text rather than JSON (a JSON
  /// decoder costs more than everything else confinement prepares):
  ///
  ///     /usr/bin/qemu-system-x86_64|SIZE|MTIME-S|MTIME-NS   the binary it is for
  ///     dirs /usr/bin=S.NS /usr/lib/x86_64-linux-gnu=S.NS   its files' directories
  ///     tree qemu-root-HASH                                 the tree, if built
  ///     SOURCE<TAB>PATH                                     a line per file
  ///
  /// A package upgrade puts a file in place by rename, which changes its
  /// directory's mtime, as does any removal or addition; so while the `dirs` line
  /// holds, every file is there and is the inode the tree links to, and a boot
  /// checks five directories instead of some 70 files.
  public struct FileCache: Equatable, Sendable {
    var key: String
    var directories: String
    var tree: String?
    var files: [Confinement.File]

    static let name = "qemu-files"

    /// The mtimes of the directories holding `files`.
    static func signature(of files: [Confinement.File]) -> String {
      let directories = Set(files.map { PathText.parent(of: $0.source) })
      return directories.sorted().map { directory in
        var info = stat()
        guard stat(directory, &info) == 0 else { return directory + "=?" }
        return "\(directory)=\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
      }.joined(separator: " ")
    }

    static func read(from directory: URL) -> FileCache? {
      guard
        let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
      else { return nil }
      return parse(String(decoding: data, as: UTF8.self))
    }

    /// Split as bytes, not Characters: grapheme breaking made this parse, on
    /// every boot, cost more than the system calls it saves.
    static func parse(_ text: String) -> FileCache? {
      let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        .map { String(Substring($0)) }
      guard lines.count >= 3, lines[1].hasPrefix("dirs "), lines[2].hasPrefix("tree") else {
        return nil
      }
      var files: [Confinement.File] = []
      for line in lines.dropFirst(3) where !line.isEmpty {
        let fields = line.utf8.split(
          separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
        guard fields.count == 2 else { return nil }
        files.append(
          Confinement.File(source: String(Substring(fields[0])), path: String(Substring(fields[1])))
        )
      }
      let tree = String(lines[2].dropFirst(5))
      return FileCache(
        key: lines[0], directories: String(lines[1].dropFirst(5)),
        tree: tree.isEmpty ? nil : tree, files: files)
    }

    var text: String {
      ([key, "dirs " + directories, "tree " + (tree ?? "")]
        + files.map { "\($0.source)\t\($0.path)" }).joined(separator: "\n") + "\n"
    }

    func write(to directory: URL) {
      try? AtomicFile.write(
        Data(text.utf8), to: directory.appendingPathComponent(Self.name), durability: .volatile)
    }
  }

  /// Asks the dynamic loader (ldd) which libraries QEMU and its accel modules
  /// load, and looks for the firmware next to the binary (`<bin>/../share/qemu`,
  /// how QEMU itself finds its data directory).
  func resolveFiles() throws(HermitQEMUError) -> [Confinement.File] {
    let binary = URL(fileURLWithPath: Self.realPath(qemu))
    let prefix = binary.deletingLastPathComponent().deletingLastPathComponent()
    var files = [Confinement.File(source: binary.path, path: qemu)]
    if binary.path != qemu {
      files.append(Confinement.File(source: binary.path, path: binary.path))
    }
    var objects = [binary.path]
    for directory in ["lib/x86_64-linux-gnu/qemu", "lib64/qemu", "lib/qemu"] {
      let moduleDirectory = prefix.appendingPathComponent(directory).path
      let names = (try? FileManager.default.contentsOfDirectory(atPath: moduleDirectory)) ?? []
      for name in names.sorted() where name.hasPrefix("accel-") && name.hasSuffix(".so") {
        let path = moduleDirectory + "/" + name
        files.append(Confinement.File(source: Self.realPath(path), path: path))
        objects.append(path)
      }
    }
    var libraries = Set<String>()
    for object in objects { libraries.formUnion(try Self.sharedLibraries(of: object)) }
    for library in libraries.sorted() {
      files.append(Confinement.File(source: Self.realPath(library), path: library))
    }
    let dataDirectory = prefix.appendingPathComponent("share/qemu").path
    for name in Self.firmware {
      let path = dataDirectory + "/" + name
      if access(path, R_OK) == 0 {
        files.append(Confinement.File(source: Self.realPath(path), path: path))
      }
    }
    return files
  }

  /// The libraries (and the dynamic loader) `ldd` lists for `object`.
  static func sharedLibraries(of object: String) throws(HermitQEMUError) -> [String] {
    guard let ldd = ChildProcess.resolveExecutable("ldd") else {
      throw .qemuNotFound("ldd (needed to confine QEMU; use --privileged to skip)")
    }
    var options = ChildProcess.Options()
    options.newProcessGroup = false
    let result = try ChildProcess.capture(path: ldd, argv: ["ldd", object], options: options)
    let text = String(decoding: result.stdout, as: UTF8.self)
    guard result.status == 0 else {
      throw .childSetup(step: "ldd \(object)", path: object, errno: ENOEXEC)
    }
    return parseLDD(text)
  }

  /// `libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)` and
  /// `/lib64/ld-linux-x86-64.so.2 (0x...)` give a path; `linux-vdso.so.1 (0x...)`
  /// (in the kernel) and `not found` give none.
  static func parseLDD(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { line in
      var text = Substring(line.trimmed)
      if let arrow = text.firstRange(of: "=> ") { text = text[arrow.upperBound...] }
      guard text.hasPrefix("/") else { return nil }
      return String(text.prefix { $0 != " " })
    }
  }

  /// A character device's numbers from the host's node at `path`.
  static func device(_ path: String, mode: UInt32) throws(HermitQEMUError) -> Confinement.Device {
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else {
      throw .missingFile(path)
    }
    return Confinement.Device(
      path: path, major: UInt32(truncatingIfNeeded: (info.st_rdev >> 8) & 0xfff),
      minor: UInt32(truncatingIfNeeded: (info.st_rdev & 0xff) | ((info.st_rdev >> 12) & 0xfff00)),
      mode: mode)
  }

  /// `path` with every symbolic link resolved (a bind mount needs the file itself).
  static func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
