// Scalar activations and their derivatives: a function library, linked (prepended) into the
// kernels that need it (elementwise.wgsl, matmul.wgsl), after lib/float.wgsl. It declares no
// bindings.
//
// Parameter names (z, fz, t) differ from every binding name on purpose: wgsl_reflect finds
// the bindings an entry point uses by name and does not see shadowing.
//
// kind: 0 identity, 1 sigmoid, 2 tanh, 3 relu, 4 leaky_relu (slope alpha), 5 softplus.
// NaN in, NaN out, for every kind and derivative, as in src/cpu/activation.ts: tested first,
// on the bits (is_nan: lib/float.wgsl), because WGSL lets compilers assume floats are finite (max(NaN, 0) gave 0 on
// SwiftShader, comparisons with NaN are false, and its exp(NaN) is not always NaN).
// Every form is stable for |z| up to f32 max: exp only ever sees -|z| (WGSL's tanh and a
// naive 1/(1+exp(-x)) overflow to NaN/inf on some drivers for |x| > ~88).

// For z < 0, e/(1+e) keeps full relative precision (1 − sigmoid(|x|) would round to 0).
fn sigmoid_stable(z: f32) -> f32 {
  let e = exp(-abs(z));            // in (0, 1]
  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}

fn tanh_stable(z: f32) -> f32 {
  let ax = abs(z);
  if (ax < 0.0625) {  // 1 − e would cancel: odd Taylor series, relative error < 1e-9
    let z2 = z * z;
    return z * (1.0 + z2 * (-1.0 / 3.0 + z2 * (2.0 / 15.0 - z2 * (17.0 / 315.0))));
  }
  let e = exp(-2.0 * ax);          // in (0, 1)
  return sign(z) * (1.0 - e) / (1.0 + e);
}

// softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^-|z|)
fn softplus_stable(z: f32) -> f32 {
  return max(z, 0.0) + log1p(exp(-abs(z)));   // log1p: lib/float.wgsl
}

fn activate(z: f32, kind: u32, alpha: f32) -> f32 {
  if (is_nan(z)) { return z; }
  switch kind {
    case 1u: { return sigmoid_stable(z); }
    case 2u: { return tanh_stable(z); }
    case 3u: { return max(z, 0.0); }
    case 4u: { return select(alpha * z, z, z > 0.0); }
    case 5u: { return softplus_stable(z); }
    default: { return z; }
  }
}

// f'(z) given the input z and the output fz = f(z); each kind uses whichever is stable:
// sigmoid fz(1-fz), tanh 1-fz^2, relu step (value at exactly 0 is grad_at_zero), leaky relu
// 1 or alpha (at 0: alpha unless grad_at_zero is 1), softplus sigmoid(z).
fn activation_derivative(z: f32, fz: f32, kind: u32, alpha: f32, grad_at_zero: f32) -> f32 {
  if (kind != 0u && (is_nan(z) || is_nan(fz))) { return select(fz, z, is_nan(z)); }
  switch kind {
    case 1u: { return fz * (1.0 - fz); }
    case 2u: { return 1.0 - fz * fz; }
    case 3u: { return select(select(0.0, grad_at_zero, z == 0.0), 1.0, z > 0.0); }
    case 4u: { return select(select(alpha, mix(alpha, 1.0, grad_at_zero), z == 0.0), 1.0, z > 0.0); }
    case 5u: { return sigmoid_stable(z); }
    default: { return 1.0; }
  }
}
