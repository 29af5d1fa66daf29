// hermit-runtime: runs hermit images like containers, and is an OCI runtime.
HermitRuntime.main()
