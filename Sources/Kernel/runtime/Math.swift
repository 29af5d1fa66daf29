// The C math functions (runtime/libm.c) for apps, as Glibc's and Foundation's
// module give them to Swift on Linux: `import Kernel`, then `sin(x)`, `pow(x, y)`
// for Double and Float. sqrt, ceil, floor, round, trunc and fmod are exact; the
// others are musl's, within 1 ulp. The standard library's remainder(dividingBy:)
// and addingProduct reach C's remainder and fma (runtime/libm.c).

@_extern(c, "sqrt") func c_sqrt(_ x: Double) -> Double
@_extern(c, "sqrtf") func c_sqrtf(_ x: Float) -> Float
@_extern(c, "ceil") func c_ceil(_ x: Double) -> Double
@_extern(c, "ceilf") func c_ceilf(_ x: Float) -> Float
@_extern(c, "floor") func c_floor(_ x: Double) -> Double
@_extern(c, "floorf") func c_floorf(_ x: Float) -> Float
@_extern(c, "round") func c_round(_ x: Double) -> Double
@_extern(c, "roundf") func c_roundf(_ x: Float) -> Float
@_extern(c, "trunc") func c_trunc(_ x: Double) -> Double
@_extern(c, "truncf") func c_truncf(_ x: Float) -> Float
@_extern(c, "fmod") func c_fmod(_ x: Double, _ y: Double) -> Double
@_extern(c, "fmodf") func c_fmodf(_ x: Float, _ y: Float) -> Float
@_extern(c, "exp") func c_exp(_ x: Double) -> Double
@_extern(c, "expf") func c_expf(_ x: Float) -> Float
@_extern(c, "exp2") func c_exp2(_ x: Double) -> Double
@_extern(c, "exp2f") func c_exp2f(_ x: Float) -> Float
@_extern(c, "log") func c_log(_ x: Double) -> Double
@_extern(c, "logf") func c_logf(_ x: Float) -> Float
@_extern(c, "log2") func c_log2(_ x: Double) -> Double
@_extern(c, "log2f") func c_log2f(_ x: Float) -> Float
@_extern(c, "log10") func c_log10(_ x: Double) -> Double
@_extern(c, "log10f") func c_log10f(_ x: Float) -> Float
@_extern(c, "pow") func c_pow(_ x: Double, _ y: Double) -> Double
@_extern(c, "powf") func c_powf(_ x: Float, _ y: Float) -> Float
@_extern(c, "sin") func c_sin(_ x: Double) -> Double
@_extern(c, "sinf") func c_sinf(_ x: Float) -> Float
@_extern(c, "cos") func c_cos(_ x: Double) -> Double
@_extern(c, "cosf") func c_cosf(_ x: Float) -> Float
@_extern(c, "tan") func c_tan(_ x: Double) -> Double
@_extern(c, "tanf") func c_tanf(_ x: Float) -> Float
@_extern(c, "atan") func c_atan(_ x: Double) -> Double
@_extern(c, "atanf") func c_atanf(_ x: Float) -> Float
@_extern(c, "asin") func c_asin(_ x: Double) -> Double
@_extern(c, "asinf") func c_asinf(_ x: Float) -> Float
@_extern(c, "acos") func c_acos(_ x: Double) -> Double
@_extern(c, "acosf") func c_acosf(_ x: Float) -> Float
@_extern(c, "hypot") func c_hypot(_ x: Double, _ y: Double) -> Double
@_extern(c, "hypotf") func c_hypotf(_ x: Float, _ y: Float) -> Float
@_extern(c, "cbrt") func c_cbrt(_ x: Double) -> Double
@_extern(c, "cbrtf") func c_cbrtf(_ x: Float) -> Float
@_extern(c, "atan2") func c_atan2(_ y: Double, _ x: Double) -> Double
@_extern(c, "atan2f") func c_atan2f(_ y: Float, _ x: Float) -> Float

public func sqrt(_ x: Double) -> Double { c_sqrt(x) }
public func sqrt(_ x: Float) -> Float { c_sqrtf(x) }
public func ceil(_ x: Double) -> Double { c_ceil(x) }
public func ceil(_ x: Float) -> Float { c_ceilf(x) }
public func floor(_ x: Double) -> Double { c_floor(x) }
public func floor(_ x: Float) -> Float { c_floorf(x) }
public func round(_ x: Double) -> Double { c_round(x) }
public func round(_ x: Float) -> Float { c_roundf(x) }
public func trunc(_ x: Double) -> Double { c_trunc(x) }
public func trunc(_ x: Float) -> Float { c_truncf(x) }
public func fmod(_ x: Double, _ y: Double) -> Double { c_fmod(x, y) }
public func fmod(_ x: Float, _ y: Float) -> Float { c_fmodf(x, y) }
public func exp(_ x: Double) -> Double { c_exp(x) }
public func exp(_ x: Float) -> Float { c_expf(x) }
public func exp2(_ x: Double) -> Double { c_exp2(x) }
public func exp2(_ x: Float) -> Float { c_exp2f(x) }
public func log(_ x: Double) -> Double { c_log(x) }
public func log(_ x: Float) -> Float { c_logf(x) }
public func log2(_ x: Double) -> Double { c_log2(x) }
public func log2(_ x: Float) -> Float { c_log2f(x) }
public func log10(_ x: Double) -> Double { c_log10(x) }
public func log10(_ x: Float) -> Float { c_log10f(x) }
public func pow(_ x: Double, _ y: Double) -> Double { c_pow(x, y) }
public func pow(_ x: Float, _ y: Float) -> Float { c_powf(x, y) }
public func sin(_ x: Double) -> Double { c_sin(x) }
public func sin(_ x: Float) -> Float { c_sinf(x) }
public func cos(_ x: Double) -> Double { c_cos(x) }
public func cos(_ x: Float) -> Float { c_cosf(x) }
public func tan(_ x: Double) -> Double { c_tan(x) }
public func tan(_ x: Float) -> Float { c_tanf(x) }
public func atan(_ x: Double) -> Double { c_atan(x) }
public func atan(_ x: Float) -> Float { c_atanf(x) }
public func asin(_ x: Double) -> Double { c_asin(x) }
public func asin(_ x: Float) -> Float { c_asinf(x) }
public func acos(_ x: Double) -> Double { c_acos(x) }
public func acos(_ x: Float) -> Float { c_acosf(x) }
public func hypot(_ x: Double, _ y: Double) -> Double { c_hypot(x, y) }
public func hypot(_ x: Float, _ y: Float) -> Float { c_hypotf(x, y) }
public func cbrt(_ x: Double) -> Double { c_cbrt(x) }
public func cbrt(_ x: Float) -> Float { c_cbrtf(x) }
public func atan2(_ y: Double, _ x: Double) -> Double { c_atan2(y, x) }
public func atan2(_ y: Float, _ x: Float) -> Float { c_atan2f(y, x) }

/// musl's stack protector check failed in a math function (runtime/libm.c).
@_cdecl("hermit_math_stack_check_failed")
func mathStackCheckFailed() -> Never {
  panic("libm: stack protector check failed (stack smashed, or FS not set up)")
}
