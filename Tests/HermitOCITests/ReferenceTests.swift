import Testing

@testable import HermitOCI

@Suite struct ReferenceTests {
  @Test(
    arguments: [
      ("hello", "hello", nil, nil, "hello:latest"),
      ("hello:1.0", "hello", "1.0", nil, "hello:1.0"),
      ("library/hello", "library/hello", nil, nil, "library/hello:latest"),
      ("localhost/hello:v2", "localhost/hello", "v2", nil, "localhost/hello:v2"),
      ("localhost:5000/a/b:c", "localhost:5000/a/b", "c", nil, "localhost:5000/a/b:c"),
      (
        "docker.io/library/busybox:latest", "docker.io/library/busybox", "latest", nil,
        "docker.io/library/busybox:latest"
      ),
      ("a.b-c_d__e---f:T_a.g-1", "a.b-c_d__e---f", "T_a.g-1", nil, "a.b-c_d__e---f:T_a.g-1"),
      ("Example.com/x", "Example.com/x", nil, nil, "Example.com/x:latest"),
      ("[::1]:5000/x:y", "[::1]:5000/x", "y", nil, "[::1]:5000/x:y"),
      (
        "x@sha256:" + String(repeating: "a", count: 64), "x", nil,
        "sha256:" + String(repeating: "a", count: 64),
        "x@sha256:" + String(repeating: "a", count: 64)
      ),
    ] as [(String, String, String?, String?, String)])
  func validReferencesParseIntoNameTagAndDigest(
    input: String, name: String, tag: String?, digest: String?, normalized: String
  ) throws {
    let reference = try Reference(parsing: input)
    #expect(reference.name == name)
    #expect(reference.tag == tag)
    #expect(reference.digest?.description == digest)
    #expect(reference.withDefaultTag.description == normalized)
  }

  @Test(arguments: [
    ("", "empty reference"),
    ("Hello", "lowercase"),
    ("hello:", "bad tag"),
    ("hello:-x", "bad tag"),
    ("hello:" + String(repeating: "t", count: 129), "bad tag"),
    ("hel lo", "bad path component"),
    ("a//b", "empty path component"),
    ("-a", "bad path component"),
    ("a-", "bad path component"),
    ("a...b", "bad path component"),
    ("a___b", "bad path component"),
    ("/hello", "empty path component"),
    ("hello@sha256:abc", "bad digest"),
    ("hello@md5:" + String(repeating: "a", count: 32), "bad digest"),
    ("-bad.example.com/x", "bad domain"),
    ("host:port/x", "bad domain"),
    (String(repeating: "a", count: 256), "longer than"),
  ])
  func invalidReferencesAreRejectedWithAReason(input: String, reason: String) {
    do {
      _ = try Reference(parsing: input)
      Issue.record("\"\(input)\" parsed")
    } catch let error as HermitOCIError {
      #expect(error.description.contains(reason), "\(error)")
      #expect(!error.description.contains("\n"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func referenceRoundTripsThroughItsDescription() throws {
    for text in ["a/b/c:1", "localhost:5000/x@sha256:" + String(repeating: "0", count: 64)] {
      #expect(try Reference(parsing: text).description == text)
    }
  }
}
