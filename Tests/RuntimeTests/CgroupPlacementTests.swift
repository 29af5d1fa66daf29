import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The shim and QEMU of an OCI container live in the cgroup its config.json names
/// (`linux.cgroupsPath`), in every hierarchy, and `delete` removes it (issue 12).
@Suite(.enabled(if: Harness.guestsBuilt && Harness.isRoot, "needs build/ guests and root"))
struct CgroupPlacementTests {
  /// Mount points of the cgroup file systems, as the runtime finds them.
  var hierarchies: [String] {
    let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { line in
      let fields = line.split(separator: " ")
      guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { return nil }
      return ["cgroup", "cgroup2"].contains(fields[dash + 1]) ? String(fields[4]) : nil
    }
  }

  func members(_ directory: String) -> [Int32] {
    ((try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? "")
      .split(separator: "\n").compactMap { Int32($0) }
  }

  @Test func theShimAndQEMUJoinTheBundlesCgroupAndDeleteRemovesIt() throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    try #require(!hierarchies.isEmpty)
    let bundle = try OCITests().makeBundle(in: scratch, app: "guests/spin", args: [])
    let parent = "/hermit-test-\(scratch.url.lastPathComponent.suffix(8).lowercased())"
    defer { for hierarchy in hierarchies { rmdir(hierarchy + parent) } }
    let url = URL(fileURLWithPath: bundle).appendingPathComponent("config.json")
    var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    var linux = config["linux"] as! [String: Any]
    linux["cgroupsPath"] = parent + "/ctr"
    config["linux"] = linux
    try JSONSerialization.data(withJSONObject: config).write(to: url)
    let root = scratch.path("root")
    let id = scratch.name("cgroup")
    let created = try scratch.runtime([
      "--root", root, "create", "--bundle", bundle, "--pid-file", scratch.path("pid"), id,
    ])
    #expect(created.status == 0, "\(created.stderr)")
    #expect(created.stderr.isEmpty, "\(created.stderr)")
    let pid = try #require(Int32(String(contentsOfFile: scratch.path("pid"), encoding: .utf8)))
    for hierarchy in hierarchies {
      #expect(members(hierarchy + parent + "/ctr").contains(pid), "\(hierarchy)")
    }
    #expect(try scratch.runtime(["--root", root, "start", id]).status == 0)
    #expect(Harness.waitUntil { !Harness.pgrep("hermit-\(id)").isEmpty })
    let qemu = try #require(Harness.pgrep("hermit-\(id)").first)
    for hierarchy in hierarchies {
      #expect(members(hierarchy + parent + "/ctr").contains(qemu), "QEMU in \(hierarchy)")
    }
    #expect(try scratch.runtime(["--root", root, "delete", "--force", id]).status == 0)
    for hierarchy in hierarchies {
      #expect(!FileManager.default.fileExists(atPath: hierarchy + parent + "/ctr"), "\(hierarchy)")
    }
  }
}
