import Foundation
import HermitOCI
import Testing

@Suite struct HermitDirectoriesTests {
  @Test func hermitHomeHoldsEverything() {
    let environment = ["HERMIT_HOME": "/h", "XDG_CACHE_HOME": "/x", "XDG_DATA_HOME": "/d"]
    #expect(HermitDirectories.imageStore(environment).path == "/h")
    #expect(HermitDirectories.cache(environment).path == "/h/cache")
    #expect(HermitDirectories.containers(environment).path == "/h/containers")
  }

  @Test func xdgDirectoriesComeNextAndEmptyCountsAsUnset() {
    let environment = [
      "HERMIT_HOME": "", "XDG_CACHE_HOME": "/x", "XDG_DATA_HOME": "/d", "XDG_RUNTIME_DIR": "/r",
    ]
    #expect(HermitDirectories.imageStore(environment).path == "/d/hermit")
    #expect(HermitDirectories.cache(environment).path == "/x/hermit")
    #expect(HermitDirectories.containers(environment).path == "/r/hermit/containers")
  }

  @Test func withoutEitherTheHomeDirectoryOrRunIsUsed() {
    #expect(HermitDirectories.cache([:]).path.hasSuffix("/.cache/hermit"))
    #expect(HermitDirectories.imageStore([:]).path.hasSuffix("/.local/share/hermit"))
    #expect(
      HermitDirectories.containers([:]).path
        == (getuid() == 0 ? "/run/hermit/containers" : "/tmp/hermit-\(getuid())/containers"))
  }

  @Test func homeIsTheHOMEVariableWhenItIsAnAbsolutePath() {
    #expect(HermitDirectories.cache(["HOME": "/home/u"]).path == "/home/u/.cache/hermit")
    #expect(
      HermitDirectories.imageStore(["HOME": "/home/u"]).path == "/home/u/.local/share/hermit")
    // Relative or empty: the password database's home, as without HOME.
    #expect(HermitDirectories.cache(["HOME": "rel"]).path == HermitDirectories.cache([:]).path)
  }
}
