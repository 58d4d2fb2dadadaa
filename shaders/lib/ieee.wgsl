// IEEE special values, tested and made on the bits: WGSL lets compilers assume that floats
// are finite (so `a != a` may fold to false, and a NaN or inf constant expression is a
// shader-creation error), and leaves log(0), sqrt(-1) and x/0 undefined. Kernels that promise
// NumPy's answers for those build them here. Linked (prepended) into the families that need it.
// Parameter names (t, u, v, z) differ from every binding name: wgsl_reflect finds the bindings
// an entry point uses by name and does not see shadowing.

fn is_nan(t: f32) -> bool {
  return (bitcast<u32>(t) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(t: f32) -> bool {
  return (bitcast<u32>(t) & 0x7fffffffu) == 0x7f800000u;
}

// The sign bit (true also for -0 and -inf).
fn sign_bit(t: f32) -> bool {
  return (bitcast<u32>(t) & 0x80000000u) != 0u;
}

// A quiet NaN, from a runtime value (a NaN constant expression is a shader-creation error).
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// inf with the sign bit of `sign_of` (a parameter, so never a constant expression).
fn inf_f32(sign_of: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(sign_of) & 0x80000000u) | 0x7f800000u);
}

// u / v with IEEE's answers at v = ±0: ±inf with the product of the signs, NaN for 0/0.
fn div_ieee(u: f32, v: f32) -> f32 {
  if (v == 0.0) {
    if (u == 0.0 || is_nan(u)) { return nan_f32(); }
    return inf_f32(bitcast<f32>(bitcast<u32>(u) ^ bitcast<u32>(v)));
  }
  return u / v;
}

// log(z): -inf at ±0, NaN below 0, inf at inf, NaN for NaN.
fn log_ieee(z: f32) -> f32 {
  if (is_nan(z) || z < 0.0) { return nan_f32(); }
  if (z == 0.0) { return inf_f32(-1.0); }
  if (is_inf(z)) { return z; }
  return log(z);
}

// e^z, inf from the first f32 whose exponential rounds past FLT_MAX (0x42b17218 =
// 88.72283935546875; the one below it, 88.7228317, stays finite, as in f64 rounded to f32).
fn exp_ieee(z: f32) -> f32 {
  if (is_nan(z)) { return z; }
  if (z >= 88.72283935546875) { return inf_f32(1.0); }
  return exp(z);
}
