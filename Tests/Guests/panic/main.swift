// A kernel panic from the app: message, backtrace, failure exit.
import Kernel

print("about to panic")
panic("the app gave up")
