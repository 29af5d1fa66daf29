print("hermit-runtime: not built yet")
