import HermitOCI
import Testing

@Suite struct TextTableTests {
  @Test func columnsAreLeftAlignedThreeSpacesApartAndTheLastIsNotPadded() {
    let table = TextTable.render([["NAME", "STATUS"], ["a-long-name", "running"], ["b", "up"]])
    #expect(
      table == """
        NAME          STATUS
        a-long-name   running
        b             up
        """)
  }

  @Test func noRowsIsAnEmptyTable() {
    #expect(TextTable.render([]) == "")
  }
}
