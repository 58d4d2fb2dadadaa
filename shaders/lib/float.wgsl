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
