import Foundation
import HermitOCI
import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ImageCacheTests {
  /// A staging directory of an unpack that was killed (its pid is gone) goes at
  /// the next unpack once it is older than a minute; a live one, or a fresh one
  /// (perhaps of another pid namespace), stays, and so does everything else.
  @Test func stagingLeftByAKilledUnpackIsSwept() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    // A pid that is surely gone: a child reaped at once.
    var gone: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    #expect(posix_spawn(&gone, "/bin/true", nil, nil, &argv, environ) == 0)
    free(argv[0])
    var status: Int32 = 0
    waitpid(gone, &status, 0)
    let old = Date().addingTimeInterval(-3600)
    let names = [
      ".tmp-\(gone)-1": old, ".tmp-\(gone)-2": Date(), ".tmp-\(getpid())-3": old,
      "0123abcd": old, ".tmp-x-4": old,
    ]
    for (name, date) in names {
      let path = scratch.path(name)
      try FileManager.default.createDirectory(
        atPath: path + "/hermit", withIntermediateDirectories: true)
      FileManager.default.createFile(atPath: path + "/hermit/app", contents: Data("x".utf8))
      try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }
    #expect(ImageCache.sweepStaging(in: scratch.url) == [".tmp-\(gone)-1"])
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path))
    #expect(left == Set(names.keys).subtracting([".tmp-\(gone)-1"]))
  }

  /// A tarball's blobs are staged in the cache, not /tmp; a staging directory
  /// whose unpack was killed (its lock is free) goes at the next unpack, one
  /// whose unpack still runs (its lock is held) stays.
  @Test(.enabled(if: Harness.images != nil)) func tarballStagingIsInTheCacheAndSwept() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let cache = ImageCache(root: scratch.url.appendingPathComponent("cache"))
    let staging = cache.staging
    try FileManager.default.createDirectory(
      at: staging.appendingPathComponent("ingest-1-killed/blob"), withIntermediateDirectories: true)
    FileManager.default.createFile(
      atPath: staging.appendingPathComponent("ingest-1-killed.lock").path, contents: Data())
    try FileManager.default.createDirectory(
      at: staging.appendingPathComponent("ingest-2-live"), withIntermediateDirectories: true)
    let held = open(
      staging.appendingPathComponent("ingest-2-live.lock").path, O_RDWR | O_CREAT, 0o600)
    defer { close(held) }
    #expect(flock(held, LOCK_EX) == 0)
    let prepared = try cache.prepare(Harness.images!.exit)
    #expect(FileManager.default.fileExists(atPath: prepared.rootfs + "/hermit/app"))
    let left = try FileManager.default.contentsOfDirectory(atPath: staging.path).sorted()
    #expect(left == ["ingest-2-live", "ingest-2-live.lock"])
  }
}
