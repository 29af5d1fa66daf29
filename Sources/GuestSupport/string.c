// The C memory functions Embedded Swift and clang-generated code call.
//
// Freestanding: no libc here. Plain quadword loops, not `rep movs`/`rep stos`:
// QEMU's TCG runs a rep string instruction one element per trip through its
// dispatcher, while a loop stays inside one chained translation block; measured
// here, boot-to-main of hello went from ~4.0 to ~2.8 ms. The compiler must not
// turn these loops back into calls to themselves, hence -ffreestanding
// -fno-builtin in the Makefile.
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  uint64_t *d = dst;
  const uint64_t *s = src;
  size_t quads = n >> 3;
  for (size_t i = 0; i < quads; i++) d[i] = s[i];
  unsigned char *db = (unsigned char *)(d + quads);
  const unsigned char *sb = (const unsigned char *)(s + quads);
  for (size_t i = 0; i < (n & 7); i++) db[i] = sb[i];
  return dst;
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
  uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;
  uint64_t *d = dst;
  size_t quads = n >> 3;
  for (size_t i = 0; i < quads; i++) d[i] = pattern;
  unsigned char *db = (unsigned char *)(d + quads);
  for (size_t i = 0; i < (n & 7); i++) db[i] = (unsigned char)c;
  return dst;
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
