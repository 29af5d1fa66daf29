import FoundationEssentials
import HermitQEMU
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// How one container's QEMU is confined (issue 13), decided before it starts:
/// guests are images pulled from elsewhere, so QEMU is treated as hostile.
///
/// Unless the container is `--privileged` (or the runtime is not root, which
/// leaves only what an unprivileged process can do), QEMU
/// - runs as an unprivileged user (`QEMUUser`) with no capabilities at all, not
///   even in its bounding set, and `no_new_privs`;
/// - sees a private root holding only its own binary, libraries and firmware
///   (read-only), the guest's loader and app, the status file, the console log
///   and /dev/{null,urandom,kvm} (`QEMURoot`);
/// - `run`: lives in its own cgroup with memory and pids limits (`QEMUCgroup`);
/// - gets a tap device already open, no environment and no descriptor but its
///   stdio;
/// - and starts its own seccomp sandbox (`QEMUCommand.sandbox`).
struct QEMUConfinement {
  /// For `Supervisor.Options`.
  var confinement: Confinement?
  /// The VM as QEMU sees it (paths inside its root, the tap as a descriptor).
  var vm: VMConfiguration
  var tapDevice: String?
  /// Removed when QEMU has exited.
  var cgroup: QEMUCgroup?
  /// What `inspect` shows.
  var report: ConfinementReport
  /// The loader and app, opened inside the image's root: kept open until QEMU
  /// has started (its root binds them from these descriptors).
  var guestFiles: (loader: RootedFile, app: RootedFile)? = nil

  /// What `prepare` needs that depends neither on the image nor on the
  /// container: QEMU's user, the first unprivileged port, QEMU's executable and
  /// its part of the root, and the cgroup file systems. `run` gathers it on a
  /// thread of its own while ArgumentParser parses its flags (`RunPrefetch`),
  /// where it adds nothing to the boot.
  struct Prefetch: Sendable {
    var user: Result<QEMUUser, any Error>
    var firstUnprivilegedPort: Int
    var executable: String?
    var isELF = false
    var qemuPart: Result<QEMURoot.QEMUPart, HermitQEMUError>?
    var cgroupMounts: CgroupMounts
    var ownCgroups: [String: String]
    /// The container's cgroup made ahead (`RunPrefetch`), its limits not yet written.
    var cgroupDirectories: [String]?

    /// `cgroupName`: make a cgroup of that name, if none exists yet.
    static func gather(qemu: String, cgroupName: String? = nil) -> Prefetch {
      let executable = ChildProcess.resolveExecutable(qemu)
      var prefetch = Prefetch(
        user: Result { try QEMUUser.resolve() },
        firstUnprivilegedPort: unprivilegedPortStart(), executable: executable,
        cgroupMounts: .current(), ownCgroups: CgroupMounts.ownPaths())
      if let cgroupName, geteuid() == 0 {
        prefetch.cgroupDirectories = try? QEMUCgroup.make(
          name: cgroupName, mounts: prefetch.cgroupMounts, own: prefetch.ownCgroups,
          exclusive: true)
      }
      if let executable, QEMUConfinement.isELF(executable) {
        prefetch.isELF = true
        let root = QEMURoot(qemu: executable, cacheDirectory: ImageCache.defaultRoot())
        prefetch.qemuPart = Result { () throws(HermitQEMUError) in try root.prepareQEMU() }
      }
      return prefetch
    }
  }

  /// - Parameter prefetched: `Prefetch.gather`'s result, when started beforehand.
  static func prepare(
    for record: ContainerRecord, in store: ContainerStore, qemu: String, pcFirmware: String?,
    prefetched: Prefetch? = nil
  ) throws -> QEMUConfinement {
    var vm = record.vm
    var report = ConfinementReport()
    // Every mode refuses an image file that is a symbolic link or leaves the
    // image; a confined QEMU is handed the very files checked here.
    let guestFiles: (loader: RootedFile, app: RootedFile)
    do { guestFiles = try vm.guestFiles() } catch { throw RuntimeError.wrap(error) }
    let environmentPath = store.file(record.id, "environment").path
    if record.vm.privileged == true || geteuid() != 0 {
      // QEMU runs as this process's user: the file is this user's alone.
      do { try vm.writeEnvironmentFile(at: environmentPath, owner: nil) } catch {
        throw RuntimeError.wrap(error)
      }
    }
    if record.vm.privileged == true {
      report.privileged = true
      report.notes.append("--privileged: QEMU runs as the runtime's user, unconfined")
      return QEMUConfinement(confinement: nil, vm: vm, tapDevice: nil, cgroup: nil, report: report)
    }
    report.seccomp = QEMUCommand.sandbox
    report.noNewPrivileges = true
    guard geteuid() == 0 else {
      report.notes.append(
        "the runtime is not root: QEMU keeps its user, file system view and cgroup")
      return QEMUConfinement(
        confinement: Confinement(), vm: vm, tapDevice: nil, cgroup: nil, report: report)
    }

    let prefetched = prefetched ?? Prefetch.gather(qemu: qemu)
    let firstUnprivilegedPort = prefetched.firstUnprivilegedPort
    let privilegedPorts = vm.ports.contains { $0.hostPort < firstUnprivilegedPort }
    let user = try prefetched.user.get()
    let identity = Confinement.Identity(
      uid: user.uid, gid: user.gid, keepsNetBindService: privilegedPorts)
    var confinement = Confinement(identity: identity)
    report.user = user.description
    report.capabilities = privilegedPorts ? ["CAP_NET_BIND_SERVICE"] : []

    var tapDevice: String?
    if case .tap(let name) = vm.network {
      tapDevice = name
      vm.tapDescriptor = 3
    }
    if let log = vm.consoleLog { try confinement.createFile(log) }
    do { try vm.writeEnvironmentFile(at: environmentPath, owner: (user.uid, user.gid)) } catch {
      throw RuntimeError.wrap(error)
    }

    guard let executable = prefetched.executable else {
      throw RuntimeError.wrap(HermitQEMUError.qemuNotFound(qemu))
    }
    if prefetched.isELF {
      let mountPoint = store.file(record.id, "root").path
      if mkdir(mountPoint, 0o700) != 0 && errno != EEXIST {
        throw RuntimeError.io(path: mountPoint, reason: String(cString: strerror(errno)))
      }
      let root = QEMURoot(
        qemu: executable, cacheDirectory: ImageCache.defaultRoot())
      let made = try root.make(
        for: vm, pcFirmware: pcFirmware, mountPoint: mountPoint,
        qemuPart: prefetched.qemuPart?.get(), guestFiles: guestFiles)
      confinement.root = made.root
      vm = made.vm
      report.root = made.paths
    } else {
      report.notes.append("\(executable) is not an ELF binary: QEMU sees the host's files")
    }

    var cgroup: QEMUCgroup?
    if record.kind == .run {
      let memory = UInt64(vm.memoryMiB) << 20 + QEMUCgroup.overheadBytes
      cgroup = try QEMUCgroup.create(
        id: record.id, memoryLimit: memory, pidsLimit: QEMUCgroup.pidsLimit(cpus: vm.cpus),
        mounts: prefetched.cgroupMounts, own: prefetched.ownCgroups,
        made: prefetched.cgroupDirectories)
      if let cgroup {
        cgroup.place(&confinement)
        report.cgroup = cgroup
      } else {
        report.notes.append("no memory and pids cgroup controllers: QEMU has no cgroup of its own")
      }
    } else {
      // Create wrote the limits into the cgroup the bundle names.
      report.cgroup = record.confinement?.cgroup
      if report.cgroup == nil {
        report.notes.append("no cgroup with memory and pids limits was named or could be set")
      }
    }
    return QEMUConfinement(
      confinement: confinement, vm: vm, tapDevice: tapDevice, cgroup: cgroup, report: report,
      guestFiles: guestFiles)
  }

  /// The first port an unprivileged process may bind (net.ipv4.ip_unprivileged_port_start).
  static func unprivilegedPortStart() -> Int {
    let text = try? String(
      contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8)
    return text.flatMap { Int($0.trimmed) } ?? 1024
  }

  /// A script (a test's fake QEMU) cannot run in a root without its interpreter.
  static func isELF(_ path: String) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var magic = [UInt8](repeating: 0, count: 4)
    return read(fd, &magic, 4) == 4 && magic == [0x7f, 0x45, 0x4c, 0x46]
  }
}

/// How a container's QEMU is confined, as `inspect` shows it.
struct ConfinementReport: Codable, Equatable, Sendable {
  /// `--privileged`: none of the below.
  var privileged = false
  /// QEMU's `-sandbox` option.
  var seccomp: String?
  /// The user QEMU runs as.
  var user: String?
  /// The capabilities QEMU keeps (none unless a host port is below 1024).
  var capabilities: [String] = []
  var noNewPrivileges = false
  /// Every path QEMU can reach; nil: the host's whole tree.
  var root: [String]?
  var cgroup: QEMUCgroup?
  var notes: [String] = []
}

/// The user a confined QEMU runs as: `$HERMIT_QEMU_USER` (a name, `uid` or
/// `uid:gid`), else the `hermit` system user that scripts/setup.sh creates, else
/// `nobody` (65534).
struct QEMUUser: Equatable {
  var name: String?
  var uid: UInt32
  var gid: UInt32

  var description: String {
    (name.map { "\($0) " } ?? "") + "(uid \(uid), gid \(gid))"
  }

  static func resolve(
    _ setting: String? = ProcessInfo.processInfo.environment["HERMIT_QEMU_USER"]
  ) throws -> QEMUUser {
    if let setting, !setting.isEmpty {
      let parts = setting.split(separator: ":", omittingEmptySubsequences: false)
      if let uid = UInt32(parts[0]) {
        let gid = parts.count > 1 ? UInt32(parts[1]) : uid
        guard parts.count <= 2, let gid, uid != 0 else {
          throw RuntimeError.invalidArgument(
            "HERMIT_QEMU_USER=\(setting): expected a user name, UID or UID:GID (not root)")
        }
        return QEMUUser(name: nil, uid: uid, gid: gid)
      }
      guard parts.count == 1, let user = lookup(setting), user.uid != 0 else {
        throw RuntimeError.invalidArgument(
          "HERMIT_QEMU_USER=\(setting): no such user (or root), expected a name, UID or UID:GID")
      }
      return user
    }
    return lookup("hermit") ?? QEMUUser(name: "nobody", uid: 65534, gid: 65534)
  }

  /// Looks `name` up in /etc/passwd (passwd(5)) itself: getpwnam goes through
  /// NSS, which loads modules and asks systemd's userdb, milliseconds on every
  /// boot for a system user that is always a local one.
  static func lookup(_ name: String, passwd: String = "/etc/passwd") -> QEMUUser? {
    guard let text = try? String(contentsOfFile: passwd, encoding: .utf8) else { return nil }
    for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
      let fields = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        .map { Substring($0) }
      guard fields.count >= 4, fields[0] == name, let uid = UInt32(fields[2]),
        let gid = UInt32(fields[3])
      else { continue }
      return QEMUUser(name: name, uid: uid, gid: gid)
    }
    return nil
  }
}
