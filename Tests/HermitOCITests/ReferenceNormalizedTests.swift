import Testing

@testable import HermitOCI

/// Docker Hub names in their two spellings (distribution/reference normalize.go):
/// containerd's CRI looks images up normalized, our store keeps them familiar.
@Suite struct ReferenceNormalizedTests {
  @Test(
    arguments: [
      ("hello", "docker.io/library/hello:latest", "hello:latest"),
      ("hello:1.0", "docker.io/library/hello:1.0", "hello:1.0"),
      ("library/hello:2", "docker.io/library/hello:2", "hello:2"),
      ("user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
      ("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
      ("docker.io/user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
      ("docker.io/library/a/b:c", "docker.io/library/a/b:c", "library/a/b:c"),
      ("localhost/hello:v2", "localhost/hello:v2", "localhost/hello:v2"),
      ("localhost:5000/a/b:c", "localhost:5000/a/b:c", "localhost:5000/a/b:c"),
      ("quay.io/x/y", "quay.io/x/y:latest", "quay.io/x/y:latest"),
      (
        "x@sha256:" + String(repeating: "a", count: 64),
        "docker.io/library/x@sha256:" + String(repeating: "a", count: 64),
        "x@sha256:" + String(repeating: "a", count: 64)
      ),
    ] as [(String, String, String)])
  func dockerHubNamesNormalizeAndShortenAsDockerDoes(
    input: String, normalized: String, familiar: String
  ) throws {
    let reference = try Reference(parsing: input)
    #expect(reference.normalized.description == normalized)
    #expect(reference.normalized.familiar.withDefaultTag.description == familiar)
  }
}
