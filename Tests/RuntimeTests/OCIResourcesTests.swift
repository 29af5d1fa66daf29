import Foundation
import Testing

/// `create` sizes the VM from config.json's `linux.resources`, which is what
/// `podman run --memory 32m --cpus 2 --cpuset-cpus 0-2` writes (issue 10, item 4).
extension OCITests {
  /// `makeBundle`'s bundle with `resources` (JSON) as its `linux.resources`.
  func makeBundle(in scratch: Scratch, resources: String) throws -> String {
    let bundle = try makeBundle(in: scratch, app: "guests/spin", args: [])
    let file = URL(fileURLWithPath: bundle).appendingPathComponent("config.json")
    var config = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
    var linux = config["linux"] as? [String: Any] ?? [:]
    linux["resources"] = try JSONSerialization.jsonObject(with: Data(resources.utf8))
    config["linux"] = linux
    try JSONSerialization.data(withJSONObject: config).write(to: file)
    return bundle
  }

  @Test(arguments: [
    (#"{"memory":{"limit":33554432},"cpu":{"quota":200000,"period":100000}}"#, "32M", "2"),
    (#"{"cpu":{"quota":150000,"period":100000}}"#, "64M", "2"),  // --cpus 1.5
    (#"{"cpu":{"cpus":"0-2"}}"#, "64M", "3"),  // --cpuset-cpus
    (#"{"cpu":{"cpus":"0,2-3","quota":100000}}"#, "64M", "1"),  // the smaller
    (#"{"memory":{"limit":100667391}}"#, "96M", "1"),  // rounded down
    (#"{"memory":{"limit":-1}}"#, "64M", "1"),  // no limit
  ])
  func createTakesMemoryAndCPUsFromLinuxResources(
    resources: String, memory: String, cpus: String
  ) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeBundle(in: scratch, resources: resources)
    let root = scratch.path("root")
    let id = scratch.name("ocires")
    let created = try scratch.runtime(["--root", root, "create", "--bundle", bundle, id])
    #expect(created.status == 0, "\(created.stderr)")
    defer { _ = try? scratch.runtime(["--root", root, "delete", "--force", id]) }
    let inspect = try scratch.runtime(["--root", root, "inspect", id]).stdout
    let details = try JSONSerialization.jsonObject(with: Data(inspect.utf8)) as? [[String: Any]]
    let qemu = details?.first?["qemu"] as? [String] ?? []
    let memoryFlag = qemu.firstIndex(of: "-m").map { qemu[$0 + 1] }
    let cpusFlag = qemu.firstIndex(of: "-smp").map { qemu[$0 + 1] }
    #expect(memoryFlag == memory, "\(qemu)")
    #expect(cpusFlag == cpus, "\(qemu)")
  }

  @Test(arguments: [
    (#"{"memory":{"limit":1048576}}"#, "below the minimum of 2M"),
    (#"{"cpu":{"cpus":"3-1"}}"#, "not a CPU list"),
  ])
  func createRefusesResourcesAGuestCannotUse(resources: String, message: String) throws {
    let scratch = try Scratch()
    defer { scratch.delete() }
    let bundle = try makeBundle(in: scratch, resources: resources)
    let result = try scratch.runtime([
      "--root", scratch.path("root"), "create", "--bundle", bundle, scratch.name("ocibad"),
    ])
    #expect(result.status == 125)
    #expect(result.stderr.contains(message), "\(result.stderr)")
  }
}
