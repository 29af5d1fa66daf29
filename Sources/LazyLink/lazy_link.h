// Shared libraries loaded on first use instead of at every start.
//
// libarchive (with libxml2, ICU, nettle, lzma, zstd, ... behind it) and libcrypto
// cost some 2.3 ms of dynamic linking at every start of hermit-runtime and
// hermit-image, though most commands (a `run` of a cached image, `ps`, `state`,
// `kill`) never call them. The system-library modules CArchive and CCrypto
// therefore link nothing: each function they use is a static inline wrapper,
// made by HERMIT_LAZY, that resolves the real one with dlopen/dlsym at its first
// call. A library or symbol that is missing is reported and aborts, as the dynamic
// loader would have refused to start the program.
#ifndef HERMIT_LAZY_LINK_H
#define HERMIT_LAZY_LINK_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static inline void *hermit_lazy_symbol(const char *library, const char *name) {
  // dlopen of a loaded library only counts a reference.
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  void *symbol = handle != NULL ? dlsym(handle, name) : NULL;
  if (symbol == NULL) {
    fprintf(stderr, "cannot load %s from %s: %s\n", name, library, dlerror());
    abort();
  }
  return symbol;
}

/// The function `name` of `library`, looked up at the first call and kept in `slot`.
static inline void *hermit_lazy_resolve(void **slot, const char *library, const char *name) {
  void *resolved = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (resolved == NULL) {
    resolved = hermit_lazy_symbol(library, name);
    __atomic_store_n(slot, resolved, __ATOMIC_RELEASE);
  }
  return resolved;
}

/// Defines `ret name params` calling `name` from `library` with `args`.
#define HERMIT_LAZY(library, ret, name, params, args)                       \
  static inline ret name params {                                           \
    static void *slot;                                                      \
    return ((ret(*) params)hermit_lazy_resolve(&slot, library, #name)) args; \
  }

/// HERMIT_LAZY for a function without a result.
#define HERMIT_LAZY_VOID(library, name, params, args)                       \
  static inline void name params {                                          \
    static void *slot;                                                      \
    ((void(*) params)hermit_lazy_resolve(&slot, library, #name)) args;      \
  }

#endif
