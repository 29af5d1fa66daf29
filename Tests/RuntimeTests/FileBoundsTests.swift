import Foundation
import Testing

@testable import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 21 item 5: the console log rotates (docker json-file's 10 MiB x 2 by
/// default) and the status file is bounded, while QEMU keeps writing both.
@Suite struct FileBoundsTests {
  @Test func theDefaultsAreDockersAndTheEnvironmentCanChangeThem() {
    let defaults = FileBounds.fromEnvironment { _ in nil }
    #expect(defaults.logMaxBytes == 10 << 20 && defaults.logMaxFiles == 2)
    let set = FileBounds.fromEnvironment {
      ["HERMIT_LOG_MAX_SIZE": "4M", "HERMIT_LOG_MAX_FILE": "3"][$0]
    }
    #expect(set.logMaxBytes == 4 << 20 && set.logMaxFiles == 3)
    let bad = FileBounds.fromEnvironment {
      ["HERMIT_LOG_MAX_SIZE": "-1", "HERMIT_LOG_MAX_FILE": "0"][$0]
    }
    #expect(bad.logMaxBytes == 10 << 20 && bad.logMaxFiles == 2)
  }

  /// A writer that keeps its O_APPEND descriptor (as QEMU does) goes on at the
  /// start of the truncated file; the copies shift and never exceed maxFiles.
  @Test func aLogIsCopiedTruncatedAndShiftedWhileItsWriterGoesOn() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let log = scratch.path("console.log")
    let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    defer { close(fd) }
    func write(_ text: String) { _ = text.withCString { Glibc.write(fd, $0, strlen($0)) } }
    let bounds = FileBounds(logMaxBytes: 100, logMaxFiles: 3)
    write(String(repeating: "a", count: 99) + "\n")
    bounds.rotate(log)
    write(String(repeating: "b", count: 50) + "\n")
    bounds.rotate(log)  // below the bound: nothing happens
    #expect(try String(contentsOfFile: log + ".1", encoding: .utf8).hasPrefix("aaa"))
    #expect(
      try String(contentsOfFile: log, encoding: .utf8) == String(repeating: "b", count: 50) + "\n")
    write(String(repeating: "c", count: 60) + "\n")
    bounds.rotate(log)
    write("d\n")
    #expect(try String(contentsOfFile: log + ".2", encoding: .utf8).hasPrefix("aaa"))
    #expect(try String(contentsOfFile: log + ".1", encoding: .utf8).hasPrefix("bbb"))
    #expect(try String(contentsOfFile: log, encoding: .utf8) == "d\n")
    write(String(repeating: "e", count: 100) + "\n")
    bounds.rotate(log)
    // Three files at most: the oldest is gone.
    #expect(try String(contentsOfFile: log + ".2", encoding: .utf8).hasPrefix("bbb"))
    #expect(try String(contentsOfFile: log + ".1", encoding: .utf8).hasPrefix("d\neee"))
    #expect(!FileManager.default.fileExists(atPath: log + ".3"))
    #expect(FileStatusSize(log) == 0)
  }

  @Test func aStatusFileAboveItsBoundIsEmptied() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let status = scratch.path("status")
    FileManager.default.createFile(
      atPath: status, contents: Data(count: Int(FileBounds.statusMaxBytes) + 1))
    FileBounds().enforce(log: nil, status: status)
    #expect(FileStatusSize(status) == 0)
    FileManager.default.createFile(atPath: status, contents: Data("HERMIT-STATUS exit=3\n".utf8))
    FileBounds().enforce(log: nil, status: status)
    #expect(FileStatusSize(status) == 21)
  }
}

private func FileStatusSize(_ path: String) -> Int {
  var info = stat()
  return stat(path, &info) == 0 ? Int(info.st_size) : -1
}

/// The bounds at work in a detached run, with a stand-in QEMU that writes 30 KB
/// of console over three seconds and 3.6 MB of status.
@Suite(.enabled(if: Harness.images != nil && Harness.isRoot, "needs build/ guests and root"))
struct ConsoleLogRotationTests {
  @Test func aDetachedRunsLogRotatesAndLogsShowsBothFilesInOrder() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let fake = scratch.path("qemu-system-x86_64")
    try """
    #!/bin/sh
    for a in "$@"; do
      case "$a" in file,id=hstatus,path=*) s="${a#file,id=hstatus,path=}"; s="${s%,append=on}";; esac
    done
    i=0
    while [ $i -lt 300 ]; do
      echo "line $(printf %03d $i) ......................................................................"
      if [ $((i % 50)) -eq 0 ]; then { head -c 600000 /dev/zero | tr '\\0' x; echo; } >> "$s"; fi
      i=$((i+1))
      sleep 0.01
    done
    printf 'HERMIT-STATUS exit=0\\n' >> "$s"
    exit 1

    """.write(toFile: fake, atomically: true, encoding: .utf8)
    chmod(fake, 0o755)
    let name = scratch.name("chatty")
    let environment = scratch.environment.merging([
      "HERMIT_QEMU": fake, "HERMIT_LOG_MAX_SIZE": "4000",
    ]) { $1 }
    let started = try Harness.run(
      Harness.runtime,
      ["run", "-d", "--privileged", "--name", name, "--accel", "tcg", Harness.images!.hello],
      environment: environment)
    #expect(started.status == 0, "\(started.stderr)")
    #expect(
      Harness.waitUntil(timeout: .seconds(30)) {
        (try? scratch.runtime(["ps", "-a"]).stdout)?.contains("Exited (0)") == true
      }, "\((try? scratch.runtime(["ps", "-a"]).stdout) ?? "")")
    let directory = scratch.path("containers/\(name)")
    let log = directory + "/console.log"
    #expect(FileManager.default.fileExists(atPath: log + ".1"))
    #expect(!FileManager.default.fileExists(atPath: log + ".2"))
    #expect(FileStatusSize(log) + FileStatusSize(log + ".1") < 30_000)
    #expect(FileStatusSize(directory + "/status") < 3_000_000)
    // `logs`: the rotated file, then the current one: lines in order, the last one there.
    let logs = try scratch.runtime(["logs", name])
    let numbers = logs.stdout.split(separator: "\n").compactMap { line in
      line.hasPrefix("line ") ? Int(line.dropFirst(5).prefix(3)) : nil
    }
    #expect(numbers.last == 299, "\(logs.stdout.suffix(300))")
    #expect(numbers == numbers.sorted())
    #expect(try scratch.runtime(["rm", name]).status == 0)
  }
}
