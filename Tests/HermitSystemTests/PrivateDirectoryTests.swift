import Foundation
import HermitSystem
import Testing

@Suite struct PrivateDirectoryTests {
  /// A fresh base directory (mode 0755, the caller's) for one test.
  func base(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("hermit-private-\(name)-\(getpid())").path
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    chmod(path, 0o755)
    return path
  }

  func mode(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
  }

  @Test func missingComponentsAreCreatedWithMode0700() throws {
    let base = try base("create")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let state = base + "/a/b/state"
    #expect(try PrivateDirectory.prepare(state, create: false) == false)
    #expect(!FileManager.default.fileExists(atPath: base + "/a"))
    #expect(try PrivateDirectory.prepare(state, create: true))
    for path in [base + "/a", base + "/a/b", state] { #expect(mode(path) == 0o700, "\(path)") }
    // Checked again, it passes as it is.
    #expect(try PrivateDirectory.prepare(state, create: false))
  }

  @Test func theCallersOwnLooseDirectoryIsTightenedTo0700() throws {
    let base = try base("tighten")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let state = base + "/state"
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
    chmod(state, 0o755)
    #expect(try PrivateDirectory.prepare(state, create: false))
    #expect(mode(state) == 0o700)
  }

  @Test func aStateDirectoryThatIsASymbolicLinkIsRefused() throws {
    let base = try base("link")
    defer { try? FileManager.default.removeItem(atPath: base) }
    try FileManager.default.createDirectory(
      atPath: base + "/real", withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(
      atPath: base + "/state", withDestinationPath: base + "/real")
    #expect(throws: PrivateDirectory.Refusal.self) {
      try PrivateDirectory.prepare(base + "/state", create: true)
    }
    do {
      try PrivateDirectory.prepare(base + "/state", create: false)
    } catch {
      #expect(error.path == base + "/state")
      #expect(error.description.contains("symbolic link"), "\(error)")
    }
  }

  /// A link above the state directory is followed when it is the caller's (or
  /// root's, like /var/run), and its target is checked by the same rules.
  @Test func theCallersLinkAboveTheStateDirectoryIsFollowed() throws {
    let base = try base("above")
    defer { try? FileManager.default.removeItem(atPath: base) }
    try FileManager.default.createDirectory(
      atPath: base + "/real", withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(atPath: base + "/run", withDestinationPath: "real")
    #expect(try PrivateDirectory.prepare(base + "/run/state", create: true))
    #expect(mode(base + "/real/state") == 0o700)
    try FileManager.default.createSymbolicLink(
      atPath: base + "/up", withDestinationPath: "real/../real")
    #expect(try PrivateDirectory.prepare(base + "/up/state", create: false))
  }

  @Test func aParentOthersCanWriteWithoutTheStickyBitIsRefused() throws {
    let base = try base("writable")
    defer { try? FileManager.default.removeItem(atPath: base) }
    chmod(base, 0o777)
    #expect(throws: PrivateDirectory.Refusal.self) {
      try PrivateDirectory.prepare(base + "/state", create: true)
    }
    #expect(!FileManager.default.fileExists(atPath: base + "/state"))
    // Sticky, like /tmp: nobody else can rename the caller's entries.
    chmod(base, 0o1777)
    #expect(try PrivateDirectory.prepare(base + "/state", create: true))
  }

  @Test func aFileIsNoStateDirectory() throws {
    let base = try base("file")
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(FileManager.default.createFile(atPath: base + "/state", contents: Data()))
    #expect(throws: PrivateDirectory.Refusal.self) {
      try PrivateDirectory.prepare(base + "/state", create: true)
    }
  }

  /// Another user's directory (as root: one chowned away) is refused, as the
  /// state directory and above it, and so is a link of theirs.
  @Test(.enabled(if: geteuid() == 0, "needs root to chown"))
  func anotherUsersDirectoryOrLinkIsRefused() throws {
    let base = try base("owner")
    defer { try? FileManager.default.removeItem(atPath: base) }
    try FileManager.default.createDirectory(
      atPath: base + "/theirs/state", withIntermediateDirectories: true)
    #expect(chown(base + "/theirs", 4242, 4242) == 0)
    #expect(chown(base + "/theirs/state", 4242, 4242) == 0)
    for path in [base + "/theirs", base + "/theirs/state"] {
      do {
        try PrivateDirectory.prepare(path, create: false)
        Issue.record("\(path) was accepted")
      } catch {
        #expect(error.description.contains("belongs to uid 4242"), "\(error)")
      }
    }
    #expect(throws: PrivateDirectory.Refusal.self) {
      try PrivateDirectory.prepare(base + "/theirs/state/mine", create: true)
    }
    #expect(!FileManager.default.fileExists(atPath: base + "/theirs/state/mine"))
    try FileManager.default.createDirectory(
      atPath: base + "/mine", withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: "mine")
    #expect(lchown(base + "/link", 4242, 4242) == 0)
    do {
      try PrivateDirectory.prepare(base + "/link/state", create: true)
      Issue.record("their link was followed")
    } catch {
      #expect(error.description.contains("symbolic link of uid 4242"), "\(error)")
    }
  }
}
