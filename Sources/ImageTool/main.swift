print("hermit-image: not built yet")
