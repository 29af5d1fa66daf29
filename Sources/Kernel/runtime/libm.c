// C math for apps and for Embedded Swift's standard library (Dictionary and Set
// size their tables with ceil; Double.rounded() calls round, floor, ceil, trunc
// or rint). The functions are musl's (Debian's musl-dev, libc.a), whose math is
// plain SSE2 code accurate to 1 ulp; the Makefile extracts the objects below and
// renames every symbol in them with the prefix __hermit_musl_, so none of musl's
// libc can be linked by accident. Each public function here calls its musl
// twin with interrupts off:
//
// - musl is built for user space, where leaf functions may keep temporaries in
//   the 128-byte red zone below rsp (System V AMD64 ABI §3.2.2). The kernel is
//   built with -mno-red-zone because an interrupt in ring 0 pushes its frame at
//   rsp without switching stacks (Intel SDM vol. 3 §6.14.2) and would overwrite
//   them. With interrupts off nothing writes below rsp: no interrupt, and no
//   switch to another thread that could move this one.
// - musl is built with the stack protector: functions with arrays on the stack
//   (sin, cos, tan through __rem_pio2) read a canary at %fs:0x28. GDT.swift
//   points FS at a block holding one on every core; a mismatch panics.
//
// sqrt and sqrtf are the SSE2 instructions, correctly rounded by IEEE 754.
// Apps that use none of this link none of it: each musl object is its own
// archive member and this file is compiled with one section per function.

#define INTERRUPT_FLAG (1ul << 9)  // RFLAGS.IF (SDM vol. 1 §3.4.3)

static inline unsigned long interrupts_off(void) {
  unsigned long flags;
  __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
  return flags;
}

static inline void interrupts_restore(unsigned long flags) {
  if (flags & INTERRUPT_FLAG) __asm__ volatile("sti" ::: "memory");
}

#define UNARY(type, name)                                  \
  type __hermit_musl_##name(type);                         \
  type name(type x) {                                      \
    unsigned long flags = interrupts_off();                \
    type result = __hermit_musl_##name(x);                 \
    interrupts_restore(flags);                             \
    return result;                                         \
  }

#define BINARY(type, name)                                 \
  type __hermit_musl_##name(type, type);                   \
  type name(type x, type y) {                              \
    unsigned long flags = interrupts_off();                \
    type result = __hermit_musl_##name(x, y);              \
    interrupts_restore(flags);                             \
    return result;                                         \
  }

double sqrt(double x) {
  __asm__("sqrtsd %1, %0" : "=x"(x) : "x"(x));
  return x;
}

float sqrtf(float x) {
  __asm__("sqrtss %1, %0" : "=x"(x) : "x"(x));
  return x;
}

double fabs(double x) { return __builtin_fabs(x); }
float fabsf(float x) { return __builtin_fabsf(x); }

UNARY(double, ceil)
UNARY(float, ceilf)
UNARY(double, floor)
UNARY(float, floorf)
UNARY(double, round)
UNARY(float, roundf)
UNARY(double, trunc)
UNARY(float, truncf)
UNARY(double, rint)
UNARY(float, rintf)
BINARY(double, fmod)
BINARY(float, fmodf)
UNARY(double, exp)
UNARY(float, expf)
UNARY(double, exp2)
UNARY(float, exp2f)
UNARY(double, log)
UNARY(float, logf)
UNARY(double, log2)
UNARY(float, log2f)
UNARY(double, log10)
UNARY(float, log10f)
BINARY(double, pow)
BINARY(float, powf)
UNARY(double, sin)
UNARY(float, sinf)
UNARY(double, cos)
UNARY(float, cosf)
UNARY(double, tan)
UNARY(float, tanf)
UNARY(double, atan)
UNARY(float, atanf)
BINARY(double, atan2)
BINARY(float, atan2f)
UNARY(double, asin)
UNARY(float, asinf)
UNARY(double, acos)
UNARY(float, acosf)
BINARY(double, hypot)
BINARY(float, hypotf)
UNARY(double, cbrt)
UNARY(float, cbrtf)
BINARY(double, remainder)  // Double.remainder(dividingBy:)
BINARY(float, remainderf)

// Double.addingProduct: fused, one rounding (fmaf uses musl's fenv.lo).
double __hermit_musl_fma(double, double, double);
double fma(double x, double y, double z) {
  unsigned long flags = interrupts_off();
  double result = __hermit_musl_fma(x, y, z);
  interrupts_restore(flags);
  return result;
}

float __hermit_musl_fmaf(float, float, float);
float fmaf(float x, float y, float z) {
  unsigned long flags = interrupts_off();
  float result = __hermit_musl_fmaf(x, y, z);
  interrupts_restore(flags);
  return result;
}

// musl's own calls to fabs and sqrt land here, after the renaming.
double __hermit_musl_fabs(double x) { return __builtin_fabs(x); }
float __hermit_musl_fabsf(float x) { return __builtin_fabsf(x); }
double __hermit_musl_sqrt(double x) { return sqrt(x); }
float __hermit_musl_sqrtf(float x) { return sqrtf(x); }

_Noreturn void hermit_math_stack_check_failed(void);

// The stack protector's failure call from musl's objects (renamed).
_Noreturn void __hermit_musl___stack_chk_fail(void) { hermit_math_stack_check_failed(); }
