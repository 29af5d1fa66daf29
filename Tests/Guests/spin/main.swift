// Never ends: for tests of timeouts, stop and kill.
import Kernel

print("spinning")
var counter: UInt64 = 0
while true {
  counter &+= 1
}
