// Two threads (on two cores with -smp 2) start together, both read the command
// line for the first time at once, then print many distinct lines each. Every
// line must reach the host whole: the console hands a line's bytes to one
// thread at a time.
import Kernel
import Synchronization

let go = Atomic<Bool>(false)
let lineCount = 300

func payload(_ thread: Int, _ line: Int) -> String {
  let letters = Array("abcdefghijklmnopqrstuvwxyz")
  var text = ""
  for index in 0..<40 { text.append(letters[(thread * 7 + line * 5 + index) % 26]) }
  return text
}

let workers = (0..<2).map { thread in
  Thread.spawn {
    while !go.load(ordering: .acquiring) {}
    let arguments = CommandLine.arguments.dropFirst().joined(separator: " ")
    let greeting = Environment.get("GREETING") ?? "-"
    print("thread \(thread) arguments \(arguments) greeting \(greeting)")
    for line in 0..<lineCount {
      print("thread \(thread) line \(line) \(payload(thread, line))")
    }
    return Thread.currentCore
  }
}
go.store(true, ordering: .releasing)
let cores = workers.map { $0.join() }
print("done on cores \(cores.map { String($0) }.joined(separator: " "))")
