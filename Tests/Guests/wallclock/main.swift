// The wall clock: UTC from the CMOS RTC, advanced by the TSC. Prints it twice,
// 300 ms apart, for the host to compare with its own clock; a second thread
// reads it at the same time on -smp 2 (the first reading is shared).
import Kernel

func text(_ time: (seconds: Int64, nanoseconds: Int32)) -> String {
  let fraction = String(time.nanoseconds)
  return "\(time.seconds).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
}

let other = Thread.spawn { WallClock.now() }
let first = WallClock.now()
let fromThread = other.join()
sleep(milliseconds: 300)
let second = WallClock.now()
print("wall \(text(first))")
print("thread \(text(fromThread))")
print("after 300 ms \(text(second))")
