import Foundation
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
}
