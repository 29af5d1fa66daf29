import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// C math and the collections that need it (Dictionary, Set, sorting, string
/// hashing) in a guest, checked against the host's libm: exact where the
/// operation is (sqrt, rounding, fmod), within 1 ulp otherwise.
@Suite struct MathTests {
  static let exact: Set<String> = [
    "sqrt", "ceil", "floor", "round", "trunc", "fmod",
    "sqrtf", "ceilf", "floorf", "roundf", "truncf", "fmodf",
    "remainder", "remainderf", "fma", "fmaf",
  ]
  static let doubleUnary: [String: @Sendable (Double) -> Double] = [
    "sqrt": Glibc.sqrt, "ceil": Glibc.ceil, "floor": Glibc.floor, "round": Glibc.round,
    "trunc": Glibc.trunc, "exp": Glibc.exp, "log": Glibc.log, "sin": Glibc.sin,
    "cos": Glibc.cos, "tan": Glibc.tan, "asin": Glibc.asin, "acos": Glibc.acos,
    "cbrt": Glibc.cbrt,
  ]
  static let floatUnary: [String: @Sendable (Float) -> Float] = [
    "sqrtf": Glibc.sqrtf, "ceilf": Glibc.ceilf, "floorf": Glibc.floorf,
    "roundf": Glibc.roundf, "truncf": Glibc.truncf, "expf": Glibc.expf, "logf": Glibc.logf,
    "sinf": Glibc.sinf, "cosf": Glibc.cosf, "tanf": Glibc.tanf, "asinf": Glibc.asinf,
    "acosf": Glibc.acosf, "cbrtf": Glibc.cbrtf,
  ]
  static let doubleBinary: [String: @Sendable (Double, Double) -> Double] = [
    "fmod": Glibc.fmod, "pow": Glibc.pow, "atan2": Glibc.atan2, "hypot": Glibc.hypot,
    "remainder": Glibc.remainder,
  ]
  static let floatBinary: [String: @Sendable (Float, Float) -> Float] = [
    "fmodf": Glibc.fmodf, "powf": Glibc.powf, "atan2f": Glibc.atan2f, "hypotf": Glibc.hypotf,
    "remainderf": Glibc.remainderf,
  ]
  static let doubleTernary: [String: @Sendable (Double, Double, Double) -> Double] = [
    "fma": Glibc.fma
  ]
  static let floatTernary: [String: @Sendable (Float, Float, Float) -> Float] = [
    "fmaf": Glibc.fmaf
  ]

  /// Distance in units in the last place between two results of one sign.
  static func ulps(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : b - a }

  @Test func guestMathAgreesWithTheHostsLibm() throws {
    let run = try GuestBoot.boot("math", append: "quiet")
    #expect(run.status == .exited(0), "\(run.output)")
    #expect(run.output.hasPrefix("words 11 distinct 9 the 3\n"), "\(run.output)")
    #expect(run.output.contains("sorted brown,dog,end,fox,jumps,lazy,over,quick,the\n"))
    let squares = Set((0..<1000).map { $0 * $0 % 997 }).count
    #expect(run.output.contains("squares mod 997: \(squares)\n"))
    #expect(run.output.contains("sort ok: true\n"))
    #expect(run.output.contains("table 500 v100 -\n"))
    #expect(run.output.hasSuffix("math done\n"), "\(run.output)")

    var checked: [String: Int] = [:]
    for line in run.lines {
      let fields = line.split(separator: " ").map(String.init)
      guard fields.count >= 4, fields[fields.count - 2] == "=" else { continue }
      let name = fields[0]
      let bits = try fields[1...].filter { $0 != "=" }.map { field in
        try #require(UInt64(field.dropFirst(2), radix: 16), "\(line)")
      }
      let expected: UInt64
      if let function = Self.doubleUnary[name], bits.count == 2 {
        expected = function(Double(bitPattern: bits[0])).bitPattern
      } else if let function = Self.floatUnary[name], bits.count == 2 {
        expected = UInt64(function(Float(bitPattern: UInt32(bits[0]))).bitPattern)
      } else if let function = Self.doubleBinary[name], bits.count == 3 {
        expected = function(Double(bitPattern: bits[0]), Double(bitPattern: bits[1])).bitPattern
      } else if let function = Self.floatBinary[name], bits.count == 3 {
        let result = function(
          Float(bitPattern: UInt32(bits[0])), Float(bitPattern: UInt32(bits[1])))
        expected = UInt64(result.bitPattern)
      } else if let function = Self.doubleTernary[name], bits.count == 4 {
        let (x, y, z) = (bits[0], bits[1], bits[2])
        expected =
          function(Double(bitPattern: x), Double(bitPattern: y), Double(bitPattern: z)).bitPattern
      } else if let function = Self.floatTernary[name], bits.count == 4 {
        let (x, y, z) = (UInt32(bits[0]), UInt32(bits[1]), UInt32(bits[2]))
        let result = function(Float(bitPattern: x), Float(bitPattern: y), Float(bitPattern: z))
        expected = UInt64(result.bitPattern)
      } else {
        Issue.record("unknown result line: \(line)")
        continue
      }
      let got = bits[bits.count - 1]
      if Self.exact.contains(name) {
        #expect(got == expected, "\(line): host has 0x\(String(expected, radix: 16))")
      } else {
        #expect(Self.ulps(got, expected) <= 1, "\(line): host has 0x\(String(expected, radix: 16))")
      }
      checked[name, default: 0] += 1
    }
    let names = Set(Self.doubleUnary.keys).union(Self.floatUnary.keys)
      .union(Self.doubleBinary.keys).union(Self.floatBinary.keys)
      .union(Self.doubleTernary.keys).union(Self.floatTernary.keys)
    #expect(Set(checked.keys) == names, "\(checked)")
    #expect(checked.values.allSatisfy { $0 >= 10 }, "\(checked)")

    // The standard library's own calls into libm.
    func hex(_ value: Double) -> String { "0x" + String(value.bitPattern, radix: 16) }
    func hex(_ value: Float) -> String { "0x" + String(value.bitPattern, radix: 16) }
    #expect(
      run.output.contains(
        "squareRoot \(hex(2.0.squareRoot())) rounded \(hex(2.5.rounded())) \(hex((-2.5).rounded(.toNearestOrEven)))\n"
      ), "\(run.output)")
    #expect(
      run.output.contains(
        "rounded up \(hex(2.1.rounded(.up))) down \(hex(2.9.rounded(.down))) float \(hex(Float(2.5).rounded()))\n"
      ))
  }
}
