// Float helpers shared by the kernel families: bit tests for NaN and infinity, the lowest
// finite f32, a NaN made at run time, and an accurate log1p. A function library, linked
// (prepended) into the families that list it in src/gpu/shaders.ts; it declares no bindings.
//
// Tests are on the bits: WGSL lets compilers assume that floats are finite, so `v != v` or
// `v == inf` may be folded away (and SwiftShader's exp(NaN) is not always NaN).
// Parameter names (val, vals) differ from every binding name on purpose: wgsl_reflect finds
// the bindings an entry point uses by name and does not see shadowing.

const LOWEST: f32 = -0x1.fffffep+127f;  // -FLT_MAX: a max over nothing (or all -inf) stays here

fn is_nan(val: f32) -> bool {
  return (bitcast<u32>(val) & 0x7fffffffu) > 0x7f800000u;
}

fn is_nan4(vals: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(vals) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

// Per lane: neither NaN nor ±inf.
fn is_finite4(vals: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(vals) & vec4u(0x7f800000u)) != vec4u(0x7f800000u);
}

fn is_finite(val: f32) -> bool {
  return (bitcast<u32>(val) & 0x7f800000u) != 0x7f800000u;
}

// NaN or +inf: the entries that make a softmax row NaN (-inf is an ordinary logit, e^-inf = 0),
// as in src/cpu/softmax.ts.
fn poisons(val: f32) -> bool {
  return !is_finite(val) && bitcast<u32>(val) != 0xff800000u;
}

// Whether any component poisons (NaN or +inf)
fn poisons4(vals: vec4f) -> bool {
  return any(!is_finite4(vals) & (bitcast<vec4u>(vals) != vec4u(0xff800000u)));
}

// Exactly ±0, exactly 1: on the bits, because `val != 0.0` is false for a NaN once compiled
// with finite-math assumptions, and a term skipped for a zero weight would drop a NaN weight.
fn is_zero(val: f32) -> bool {
  return (bitcast<u32>(val) & 0x7fffffffu) == 0u;
}

// Per lane: exactly ±0.
fn is_zero4(vals: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(vals) & vec4u(0x7fffffffu)) == vec4u(0u);
}

fn is_one(val: f32) -> bool {
  return bitcast<u32>(val) == 0x3f800000u;
}

// A quiet NaN (from a runtime value: a NaN constant expression is a shader-creation error).
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// log(1 + val) for val > -1. WGSL only promises log an absolute error of 2^-21 near 1, so
// small |val| use the series val − val²/2 + … (relative error < 1e-8 for |val| < 1/16).
fn log1p(val: f32) -> f32 {
  if (abs(val) < 0.0625) {
    return val * (1.0 + val * (-1.0 / 2.0 + val * (1.0 / 3.0 + val * (-1.0 / 4.0 + val * (0.2 - val / 6.0)))));
  }
  return log(1.0 + val);
}

fn is_inf(val: f32) -> bool {
  return (bitcast<u32>(val) & 0x7fffffffu) == 0x7f800000u;
}

// The sign bit (set also for -0 and -inf).
fn sign_bit(val: f32) -> bool {
  return (bitcast<u32>(val) & 0x80000000u) != 0u;
}

// inf with the sign bit of `val` (a parameter, so never a constant expression).
fn inf_f32(val: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(val) & 0x80000000u) | 0x7f800000u);
}

// WGSL leaves x/0, log(x <= 0) and exp overflow undefined; the ops that promise NumPy's
// answers there (src/cpu/elementwise.ts, src/cpu/unary.ts) build them with these.

// num / den, with IEEE's answers at den = ±0: ±inf with the product of the signs, NaN for 0/0.
fn div_ieee(num: f32, den: f32) -> f32 {
  if (den == 0.0) {
    if (num == 0.0 || is_nan(num)) { return nan_f32(); }
    return inf_f32(bitcast<f32>(bitcast<u32>(num) ^ bitcast<u32>(den)));
  }
  return num / den;
}

// log(val): -inf at ±0, NaN below 0 and for NaN, inf at inf.
fn log_ieee(val: f32) -> f32 {
  if (is_nan(val) || val < 0.0) { return nan_f32(); }
  if (val == 0.0) { return inf_f32(-1.0); }
  if (is_inf(val)) { return val; }
  return log(val);
}

// e^val, inf from the first f32 whose exponential rounds past FLT_MAX (0x42b17218 =
// 88.72283935546875; the one below, 88.7228317, stays finite, as f64 exp rounded to f32).
fn exp_ieee(val: f32) -> f32 {
  if (is_nan(val)) { return val; }
  if (val >= 88.72283935546875) { return inf_f32(1.0); }
  return exp(val);
}
