// f32 helpers shared by the kernel families that link this file (see src/gpu/shaders.ts).
// Special values are tested on the bits: WGSL lets compilers assume that floats are finite.

const LOWEST: f32 = -0x1.fffffep+127f;  // -FLT_MAX: a max over only -inf entries stays here

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// A quiet NaN (from a runtime value: a NaN constant expression is a shader-creation error).
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// −inf (from a runtime value, as above).
fn neg_inf_f32() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

// Neither ±inf nor NaN.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}
