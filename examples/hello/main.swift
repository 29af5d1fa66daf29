// The seed's first demo: one freestanding x86_64 program, app and library OS.
import Kernel

print("Hello World!")
