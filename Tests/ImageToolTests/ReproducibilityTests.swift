import Foundation
import Testing

@Suite(.serialized) struct ReproducibilityTests {
  @Test func twoBuildsOfTheSameAppGiveIdenticalTarballs() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let app = try sandbox.app()
    let a = sandbox.root.appendingPathComponent("a.tar")
    let b = sandbox.root.appendingPathComponent("b.tar")
    let first = try sandbox.ok(["build", "-o", a.path, "--env", "K=V", app.path, "--", "x"])
    let second = try sandbox.ok(["build", "-o", b.path, "--env", "K=V", app.path, "--", "x"])
    #expect(try Data(contentsOf: a) == Data(contentsOf: b))
    #expect(first.stdout == second.stdout, "same image ID")
    #expect(first.stdout.hasPrefix("sha256:"))
  }

  @Test func sourceDateEpochChangesTimestampsReproducibly() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let app = try sandbox.app()
    var outputs: [Data] = []
    for (name, epoch) in [("a", "1700000000"), ("b", "1700000000"), ("c", "0")] {
      let tar = sandbox.root.appendingPathComponent("\(name).tar")
      let result = try sandbox.run(
        ["build", "-o", tar.path, app.path], environment: ["SOURCE_DATE_EPOCH": epoch])
      #expect(result.status == 0)
      outputs.append(try Data(contentsOf: tar))
    }
    #expect(outputs[0] == outputs[1])
    #expect(outputs[0] != outputs[2])
  }

  /// Without SOURCE_DATE_EPOCH the image is dated by its newest source file
  /// (issue 10, item 11): not 1970, the same for the same files, and the loader
  /// layer stays shared with images of other dates.
  @Test func theImageIsDatedByItsNewestSourceFile() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let app = try sandbox.app()
    let date = Date(timeIntervalSince1970: 1_750_000_000)  // 2025-06-15T15:06:40Z
    try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: app.path)
    try sandbox.ok(["build", "-t", "dated:1", app.path])
    let report =
      try JSONSerialization.jsonObject(
        with: Data(try sandbox.ok(["inspect", "dated:1"]).stdout.utf8)) as? [[String: Any]]
    let config = report?.first?["config"] as? [String: Any]
    #expect(
      config?["created"] as? String == "2025-06-15T15:06:40Z", "\(String(describing: config))")
    #expect(try sandbox.ok(["ls"]).stdout.contains("2025-06-15"))
    // Same file, same date: byte-identical; the loader layer is the 1970 one.
    let a = sandbox.root.appendingPathComponent("a.tar")
    let b = sandbox.root.appendingPathComponent("b.tar")
    try sandbox.ok(["build", "-o", a.path, app.path])
    try sandbox.ok(["build", "-o", b.path, app.path])
    #expect(try Data(contentsOf: a) == Data(contentsOf: b))
    let other = try sandbox.app(extra: 64)
    try sandbox.ok(["build", "-t", "other:1", other.path])
    let blobs = try FileManager.default.contentsOfDirectory(
      atPath: sandbox.store.appendingPathComponent("blobs/sha256").path)
    #expect(blobs.count == 7, "one shared loader layer, 2 x (app layer, config, manifest)")
  }

  @Test func buildSaveLoadIntoAFreshStoreSaveIsByteIdentical() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    let app = try sandbox.app()
    let built = sandbox.root.appendingPathComponent("built.tar")
    let saved = sandbox.root.appendingPathComponent("saved.tar")
    let resaved = sandbox.root.appendingPathComponent("resaved.tar")
    try sandbox.ok(["build", "-t", "round/trip:1", "-o", built.path, "--memory", "256M", app.path])
    try sandbox.ok(["save", "-o", saved.path, "round/trip:1"])
    #expect(try Data(contentsOf: built) == Data(contentsOf: saved))
    let fresh = sandbox.root.appendingPathComponent("fresh-store")
    let load = try sandbox.run(
      ["load", "-i", saved.path], environment: ["HERMIT_HOME": fresh.path])
    #expect(load.status == 0, "\(load.stderr)")
    #expect(load.stdout == "Loaded image: round/trip:1\n")
    let save = try sandbox.run(
      ["save", "-o", resaved.path, "round/trip:1"], environment: ["HERMIT_HOME": fresh.path])
    #expect(save.status == 0, "\(save.stderr)")
    #expect(try Data(contentsOf: saved) == Data(contentsOf: resaved))
  }

  @Test func imagesOfDifferentAppsShareTheLoaderBlob() throws {
    let sandbox = try Sandbox()
    defer { sandbox.cleanup() }
    try sandbox.ok(["build", "-t", "one", try sandbox.app().path])
    try sandbox.ok(["build", "-t", "two", try sandbox.app(extra: 64).path])
    let one =
      try JSONSerialization.jsonObject(with: Data(try sandbox.ok(["inspect", "one"]).stdout.utf8))
      as! [[String: Any]]
    let two =
      try JSONSerialization.jsonObject(with: Data(try sandbox.ok(["inspect", "two"]).stdout.utf8))
      as! [[String: Any]]
    let layers = { (report: [String: Any]) in
      ((report["manifest"] as! [String: Any])["layers"] as! [[String: Any]]).map {
        $0["digest"] as! String
      }
    }
    #expect(layers(one[0])[0] == layers(two[0])[0])
    #expect(layers(one[0])[1] != layers(two[0])[1])
    let blobs = try FileManager.default.contentsOfDirectory(
      atPath: sandbox.store.appendingPathComponent("blobs/sha256").path)
    #expect(blobs.count == 7, "one loader layer, two app layers, two configs, two manifests")
  }
}
