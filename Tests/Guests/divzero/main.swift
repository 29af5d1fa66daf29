// An integer division by zero the compiler cannot see. Built with -Ounchecked
// (see swiftflags) so Swift emits a bare DIV instead of its own zero check:
// the CPU raises #DE, which must end the VM as a failure.
import Kernel

@inline(never)
func divide(_ a: UInt64, _ b: UInt64) -> UInt64 { a / b }

print("dividing by zero")
let zero = UInt64(CommandLine.arguments.count - 1)
print(divide(42, zero))
