// Exits with the code given as its first argument (default 0), so one app
// checks that every exit code reaches the host exactly.
import Kernel

let arguments = CommandLine.arguments
var code: Int32 = 0
if arguments.count > 1, let value = Int32(arguments[1]) { code = value }
print("exiting with \(code)")
exit(code)
