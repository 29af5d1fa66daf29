// What ordinary Swift apps link against: Dictionary, Set, sorting and string
// hashing (which call C's ceil), and the C math functions through `import
// Kernel`. Results are printed as bit patterns for the host to compare with
// its own libm: `NAME ARG... = RESULT`, all in hex.
import Kernel

// Collections: hash tables size themselves with ceil; strings hash with SipHash.
var counts: [String: Int] = [:]
let words = "the quick brown fox jumps over the lazy dog the end".split(separator: " ")
for word in words { counts[String(word), default: 0] += 1 }
let distinct = Set(words.map { String($0) })
let sortedWords = counts.keys.sorted()
print("words \(words.count) distinct \(distinct.count) the \(counts["the"] ?? 0)")
print("sorted \(sortedWords.joined(separator: ","))")
var squares = Set<Int>()
for value in 0..<1000 { squares.insert(value * value % 997) }
print("squares mod 997: \(squares.count)")
let shuffled = (0..<200).map { ($0 * 7919) % 200 }
print("sort ok: \(shuffled.sorted() == Array(0..<200))")
var table: [Int: String] = [:]
for key in 0..<500 { table[key * 3] = "v\(key)" }
print("table \(table.count) \(table[300] ?? "-") \(table[301] ?? "-")")

func hex(_ value: Double) -> String { "0x" + String(value.bitPattern, radix: 16) }
func hex(_ value: Float) -> String { "0x" + String(value.bitPattern, radix: 16) }

let doubles: [Double] = [
  0, 0.1, 0.5, 1, 1.5, 2.5, -2.5, 3.141592653589793, 7.75, -7.75, 10, 100.25, 1e-3, 12345.678,
  -0.3, 1e10, 2.675, 0.7853981633974483, 1e22, 4.5e15,
]
let floats: [Float] = [
  0, 0.1, 0.5, 1, 1.5, 2.5, -2.5, 3.1415927, 7.75, -7.75, 10, 100.25, 1e-3, -0.3, 1e6,
]

// (name, the argument actually passed for x, the function)
let unary: [(String, (Double) -> Double, (Double) -> Double)] = [
  ("sqrt", abs, sqrt), ("ceil", { $0 }, ceil), ("floor", { $0 }, floor),
  ("round", { $0 }, round), ("trunc", { $0 }, trunc), ("exp", { $0 / 16 }, exp),
  ("log", { abs($0) + 0.5 }, log), ("sin", { $0 }, sin), ("cos", { $0 }, cos),
  ("tan", { $0 }, tan), ("asin", { $0 / (abs($0) + 1) }, asin),
  ("acos", { $0 / (abs($0) + 1) }, acos), ("cbrt", { $0 }, cbrt),
]
for (name, argument, function) in unary {
  for x in doubles.map(argument) { print("\(name) \(hex(x)) = \(hex(function(x)))") }
}
let unaryFloat: [(String, (Float) -> Float, (Float) -> Float)] = [
  ("sqrtf", abs, sqrt), ("ceilf", { $0 }, ceil), ("floorf", { $0 }, floor),
  ("roundf", { $0 }, round), ("truncf", { $0 }, trunc), ("expf", { $0 / 16 }, exp),
  ("logf", { abs($0) + 0.5 }, log), ("sinf", { $0 }, sin), ("cosf", { $0 }, cos),
  ("tanf", { $0 }, tan), ("asinf", { $0 / (abs($0) + 1) }, asin),
  ("acosf", { $0 / (abs($0) + 1) }, acos), ("cbrtf", { $0 }, cbrt),
]
for (name, argument, function) in unaryFloat {
  for x in floats.map(argument) { print("\(name) \(hex(x)) = \(hex(function(x)))") }
}
// (name, x, y) over pairs of the inputs; pow gets |x| and y / 8.
let pairs = zip(doubles, doubles.reversed()).filter { $0.1 != 0 }
let floatPairs = zip(floats, floats.reversed()).filter { $0.1 != 0 }
for (x, y) in pairs { print("fmod \(hex(x)) \(hex(y)) = \(hex(fmod(x, y)))") }
for (x, y) in pairs.map({ (abs($0.0), $0.1 / 8) }) {
  print("pow \(hex(x)) \(hex(y)) = \(hex(pow(x, y)))")
}
for (x, y) in pairs { print("atan2 \(hex(x)) \(hex(y)) = \(hex(atan2(x, y)))") }
for (x, y) in floatPairs { print("fmodf \(hex(x)) \(hex(y)) = \(hex(fmod(x, y)))") }
for (x, y) in floatPairs.map({ (abs($0.0), $0.1 / 8) }) {
  print("powf \(hex(x)) \(hex(y)) = \(hex(pow(x, y)))")
}
for (x, y) in floatPairs { print("atan2f \(hex(x)) \(hex(y)) = \(hex(atan2(x, y)))") }
for (x, y) in pairs { print("hypot \(hex(x)) \(hex(y)) = \(hex(hypot(x, y)))") }
for (x, y) in floatPairs { print("hypotf \(hex(x)) \(hex(y)) = \(hex(hypot(x, y)))") }
// remainder and fma through the standard library (C's remainder, fma).
for (x, y) in pairs {
  print("remainder \(hex(x)) \(hex(y)) = \(hex(x.remainder(dividingBy: y)))")
}
for (x, y) in floatPairs {
  print("remainderf \(hex(x)) \(hex(y)) = \(hex(x.remainder(dividingBy: y)))")
}
for (x, y) in pairs {
  let z = x / 3
  print("fma \(hex(x)) \(hex(y)) \(hex(z)) = \(hex(z.addingProduct(x, y)))")
}
for (x, y) in floatPairs {
  let z = x / 3
  print("fmaf \(hex(x)) \(hex(y)) \(hex(z)) = \(hex(z.addingProduct(x, y)))")
}
// The standard library's own entry points into libm.
print(
  "squareRoot \(hex(2.0.squareRoot())) rounded \(hex(2.5.rounded())) \(hex((-2.5).rounded(.toNearestOrEven)))"
)
print(
  "rounded up \(hex(2.1.rounded(.up))) down \(hex(2.9.rounded(.down))) float \(hex(Float(2.5).rounded()))"
)
print("math done")
