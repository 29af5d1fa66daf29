import Testing

/// RunTests, EcosystemTests and NetworkRunTests are skipped without their fixture
/// images. As root (how `make test` runs here) a missing fixture is a failure, not
/// a quietly shorter run that stays green.
@Suite(.enabled(if: Harness.isRoot, "the suites that need fixtures run as root"))
struct FixtureTests {
  @Test func theGuestFixturesAreBuiltSoNoSuiteIsSkipped() {
    #expect(Harness.guestsBuilt, "build/ lacks the guests: run make")
    #expect(Harness.images != nil, "fixture images failed: \(Harness.imagesFailure)")
  }
}
