// echo: prints its arguments, like /bin/echo. Shows how an app gets them:
//   hermit-runtime run --rm echo hello world   (everything after the image)
import Kernel

var line = ""
for argument in CommandLine.arguments.dropFirst() {  // argv[0] is the app's name
  if !line.isEmpty { line += " " }
  line += argument
}
print(line)
