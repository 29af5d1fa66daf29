// A Swift runtime trap (array index out of range): must end as a failure.
import Kernel

let numbers = [1, 2, 3]
var index = CommandLine.arguments.count + 5
print("reading element \(index)")
print(numbers[index])
