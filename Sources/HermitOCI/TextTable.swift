/// Left-aligned columns separated by three spaces, like docker's tables
/// (`hermit-image ls`, `hermit-runtime ps` and `list`). The first row is the header.
public enum TextTable {
  public static func render(_ rows: [[String]]) -> String {
    guard let columns = rows.first?.count else { return "" }
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    return rows.map { row in
      row.enumerated().map { index, cell in
        index == columns - 1
          ? cell : cell + String(repeating: " ", count: widths[index] + 3 - cell.count)
      }.joined()
    }.joined(separator: "\n")
  }
}
