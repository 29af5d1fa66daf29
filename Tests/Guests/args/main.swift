// Prints its arguments and environment, one per line, for the host to compare.
import Kernel

for (index, argument) in CommandLine.arguments.enumerated() {
  print("arg[\(index)]=\(argument)")
}
for variable in Environment.variables {
  print("env \(variable)")
}
if let greeting = Environment.get("GREETING") {
  print("GREETING is \(greeting)")
}
