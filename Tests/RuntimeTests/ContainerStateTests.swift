import Foundation
import Testing

/// Container state the docker way (issue 10, item 6): a `run -d` container is
/// running at once, every container has a log, and `-e` takes docker's forms.
@Suite(.enabled(if: Harness.images != nil, "needs build/ guests (make) and hermit-image"))
struct ContainerStateTests {
  var images: Harness.Images { Harness.images! }

  @Test func rmRightAfterRunDetachedSaysRunningLikePS() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("rmfast")
    #expect(try scratch.runtime(["run", "-d", "--name", name, images.spin]).status == 0)
    defer { _ = try? scratch.runtime(["rm", "-f", name]) }
    let rm = try scratch.runtime(["rm", name])
    #expect(rm.status == 125)
    #expect(
      rm.stderr == "hermit-runtime: error: container \(name) is running, not stopped (use rm -f)\n")
    #expect(try scratch.runtime(["ps"]).stdout.contains("Up "))
    #expect(try scratch.runtime(["rm", "-f", name]).status == 0)
  }

  @Test func aForegroundContainerHasALogToo() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let name = scratch.name("fglog")
    let run = try scratch.runtime(["run", "--name", name, "-q", images.args, "one", "two"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("arg[2]=two"))
    let logs = try scratch.runtime(["logs", name])
    #expect(logs.status == 0, "\(logs.stderr)")
    #expect(logs.stdout == run.stdout, "\(logs.stdout)")
    #expect(try scratch.runtime(["rm", name]).status == 0)
  }

  @Test func aBareEnvNameTakesTheHostsValue() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try Harness.run(
      Harness.runtime,
      ["run", "--rm", "-q", "-e", "FROMHOST", "-e", "UNSETONHOST", "-e", "SET=1", images.args],
      environment: scratch.environment.merging(["FROMHOST": "host value"]) { $1 })
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("env FROMHOST=host value"), "\(result.stdout)")
    #expect(result.stdout.contains("env SET=1"))
    #expect(!result.stdout.contains("UNSETONHOST"), "docker drops a name the host lacks")
  }

  @Test(arguments: ["", "=x", "=", "=FOO=bar"])
  func anEnvEntryWithoutANameIsRefused(entry: String) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let result = try scratch.runtime(["run", "--rm", "-e", entry, images.args])
    #expect(result.status == 125)
    #expect(result.stderr.hasPrefix("hermit-runtime: error: invalid environment variable"))
    #expect(result.stderr.split(separator: "\n").count == 1)
  }
}
