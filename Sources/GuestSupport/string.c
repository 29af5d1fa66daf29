// The C memory functions Embedded Swift and clang-generated code call.
//
// Freestanding: no libc here. Bulk work uses `rep movsq` / `rep stosq`: on KVM any
// rep string op is fast, but QEMU's TCG runs them one element per iteration, so
// moving quadwords instead of bytes makes loading and zeroing 8x cheaper there.
// The compiler must not turn these loops back into calls to themselves, hence
// -ffreestanding -fno-builtin in the Makefile.
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  void *ret = dst;
  size_t quads = n >> 3, rest = n & 7;
  __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(quads) : : "memory");
  __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(rest) : : "memory");
  return ret;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  // Overlapping with dst above src: copy backwards.
  d += n - 1;
  s += n - 1;
  __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *ret = dst;
  uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;
  size_t quads = n >> 3, rest = n & 7;
  __asm__ volatile("rep stosq" : "+D"(dst), "+c"(quads) : "a"(pattern) : "memory");
  __asm__ volatile("rep stosb" : "+D"(dst), "+c"(rest) : "a"(pattern) : "memory");
  return ret;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
