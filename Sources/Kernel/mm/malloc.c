// The C allocation entry points Embedded Swift calls, forwarding to Heap.swift.
// In C because Swift reserves the name `free` for its runtime (PLATFORM.md).
#include <stddef.h>

void *hermit_heap_allocate(size_t size, size_t alignment);
void hermit_heap_free(void *pointer);
_Noreturn void hermit_out_of_memory(size_t size);

// Embedded Swift allocates only through here and cannot recover from ENOMEM
// (it traps or follows a null pointer): a panic that says why is better.
int posix_memalign(void **out, size_t alignment, size_t size) {
  void *p = hermit_heap_allocate(size, alignment);
  if (!p) hermit_out_of_memory(size);
  *out = p;
  return 0;
}

void *malloc(size_t size) { return hermit_heap_allocate(size, 16); }

void free(void *pointer) { hermit_heap_free(pointer); }
