// The root command lists the subcommands; all logic lives in Commands/.
HermitImage.runAndExit()
