import FoundationEssentials
import HermitOCI
import HermitSystem

#if canImport(Glibc)
  import Glibc
#endif

/// The containers under one state root: `<root>/<id>/state.json` plus per-container
/// files (status record, console log, exec fifo).
///
/// Creating a container is `mkdir` of its directory, which is atomic: two commands
/// racing for one name cannot both win.
struct ContainerStore: Sendable {
  let root: URL

  /// State root of the docker-style commands: `$HERMIT_HOME/containers`, else
  /// `$XDG_RUNTIME_DIR/hermit/containers` (not for root, as podman: a root shell's
  /// variable may still name a user's directory), else `/run/hermit/containers` for
  /// root, else `/tmp/hermit-<uid>/containers`.
  static func defaultRunRoot() -> URL {
    HermitDirectories.containers { name in
      geteuid() == 0 && name == "XDG_RUNTIME_DIR" ? nil : HermitDirectories.processVariable(name)
    }
  }

  /// State root of the OCI commands. Fixed, because podman passes no `--root`
  /// (and not to its cleanup `delete`), see PLATFORM.md.
  static let defaultOCIRoot = URL(fileURLWithPath: "/run/hermit-runtime")

  /// The store for the docker-style commands, its root checked (`checked()`).
  static func forRun(_ global: GlobalOptions) throws -> ContainerStore {
    try ContainerStore(root: global.root.map { URL(fileURLWithPath: $0) } ?? defaultRunRoot())
      .checked()
  }

  /// The store for the OCI commands, its root checked (`checked()`).
  static func forOCI(_ global: GlobalOptions) throws -> ContainerStore {
    try ContainerStore(root: global.root.map { URL(fileURLWithPath: $0) } ?? defaultOCIRoot)
      .checked()
  }

  /// This store, once its root (if it exists yet) is a private directory of the
  /// caller: what the records in it say decides which pid `kill` signals and what
  /// `rm` deletes, so a root that another user owns, or a symbolic link, is refused.
  func checked() throws -> ContainerStore {
    do {
      try PrivateDirectory.prepare(root.path, create: false)
    } catch {
      throw RuntimeError.unsafeStateDirectory(error)
    }
    return self
  }

  /// Makes the root (each missing directory 0700) and checks it, before anything
  /// is stored under it.
  func makeRoot() throws {
    do {
      try PrivateDirectory.prepare(root.path, create: true)
    } catch {
      throw RuntimeError.unsafeStateDirectory(error)
    }
  }

  /// Finds `id` for commands both CLIs share (`kill`, `ps`): the explicit root, or
  /// the run root then the OCI root. The OCI root is root's: another user's
  /// command skips it when it is not theirs rather than failing on it.
  static func locate(_ id: String, _ global: GlobalOptions) throws -> (
    ContainerStore, ContainerRecord
  ) {
    var stores = [try forRun(global)]
    if global.root == nil {
      do {
        stores.append(try forOCI(global))
      } catch  where geteuid() != 0 {}
    }
    for store in stores {
      if let record = try? store.load(id) { return (store, record) }
    }
    throw RuntimeError.containerNotFound(id)
  }

  func directory(_ id: String) -> URL { root.appendingPathComponent(id) }
  func file(_ id: String, _ name: String) -> URL { directory(id).appendingPathComponent(name) }
  func stateURL(_ id: String) -> URL { file(id, "state.json") }

  /// Checks an ID/name is a safe single path component.
  static func validate(_ id: String) throws {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
    guard let first = id.first, first.isLetter || first.isNumber, id.count <= 128,
      id.allSatisfy({ allowed.contains($0) })
    else { throw RuntimeError.invalidName(id) }
  }

  /// Reserves `id` (mkdir) or fails with `nameInUse`.
  func reserve(_ id: String) throws {
    try Self.validate(id)
    try makeRoot()
    if mkdir(directory(id).path, 0o700) != 0 {
      if errno == EEXIST { throw RuntimeError.nameInUse(id) }
      throw RuntimeError.io(path: directory(id).path, reason: String(cString: strerror(errno)))
    }
  }

  func load(_ id: String) throws -> ContainerRecord {
    guard (try? Self.validate(id)) != nil, let data = try? Data(contentsOf: stateURL(id)) else {
      throw RuntimeError.containerNotFound(id)
    }
    do {
      return try Self.decoder.decode(ContainerRecord.self, from: data)
    } catch {
      throw RuntimeError.io(path: stateURL(id).path, reason: "unreadable state: \(error)")
    }
  }

  /// Writes the record atomically (temporary file + rename). No fsync: this is
  /// runtime state, meaningless after a reboot, and fsync costs milliseconds on
  /// every boot.
  func save(_ record: ContainerRecord) throws {
    let data = try Self.encoder.encode(record)
    do {
      try AtomicFile.write(data, to: stateURL(record.id), durability: .volatile)
    } catch {
      throw RuntimeError.wrap(error)
    }
  }

  /// Re-reads, changes and saves a record; a vanished container is ignored
  /// (it was deleted while its VM stopped). A record that cannot be saved is an
  /// error: the container's state would silently stay behind.
  func update(_ id: String, _ change: (inout ContainerRecord) -> Void) throws {
    // The creating command and the shim both update: serialize with flock.
    let fd = open(file(id, "lock").path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
    if fd >= 0 { flock(fd, LOCK_EX) }
    defer { if fd >= 0 { close(fd) } }
    guard var record = try? load(id) else { return }
    change(&record)
    try save(record)
  }

  /// Removes the container's directory and the cgroup `run` made for its QEMU
  /// (which outlives a shim killed by `rm -f`).
  func remove(_ id: String) {
    // Only the cgroup is read: decoding the whole record would cost a `run --rm`
    // some tenths of a millisecond after its VM ended.
    if (try? Self.validate(id)) != nil, let data = try? Data(contentsOf: stateURL(id)) {
      (try? Self.decoder.decode(CgroupNote.self, from: data))?.confinement?.cgroup?.remove()
    }
    removeDirectory(id)
  }

  /// Removes a container's directory alone: for its owner, which has removed the
  /// cgroup itself (`run --rm`, without reading the record back).
  func removeDirectory(_ id: String) {
    FileTree.remove(directory(id).path)
  }

  /// What `remove` needs of a record.
  private struct CgroupNote: Decodable {
    struct Confinement: Decodable { var cgroup: QEMUCgroup? }
    var confinement: Confinement?
  }

  /// All records, oldest first. `--rm` containers whose owner died without
  /// cleaning up (SIGKILL) are removed on the way.
  func all() -> [ContainerRecord] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return names.compactMap { try? load($0) }.filter { record in
      guard record.autoRemove, record.status == .stopped else { return true }
      remove(record.id)
      return false
    }.sorted { $0.created < $1.created }
  }

  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
      var container = encoder.singleValueContainer()
      try container.encode(RFC3339.string(date))
    }
    return encoder
  }()

  /// Dates as the encoder writes them, read without Foundation's ISO 8601 parser,
  /// whose Calendar and TimeZone set-up costs about half a millisecond per process
  /// (every `run` reads its record back to remove it).
  static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .custom { decoder in
      let container = try decoder.singleValueContainer()
      let text = try container.decode(String.self)
      guard let date = RFC3339.date(text) else {
        throw DecodingError.dataCorruptedError(
          in: container, debugDescription: "not an RFC 3339 UTC time: \(text)")
      }
      return date
    }
    return decoder
  }()
}

extension ContainerRecord {
  /// The live status: a recorded exit means stopped; otherwise the owning process
  /// must still run (it may have been killed with SIGKILL and left no record).
  var status: Status {
    if exitCode != nil || finished != nil { return .stopped }
    guard let pid, ProcessIdentity.isAlive(pid, startTime: pidStartTime) else {
      return pid == nil ? .creating : .stopped
    }
    // A `run -d` container starts by itself (its shim notes the start a moment
    // later): it is running, as `ps` says, not waiting for an OCI `start`.
    return started == nil && kind == .oci ? .created : .running
  }
}
