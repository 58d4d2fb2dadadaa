// Elementwise math functions and their derivatives: a function library for the elementwise
// family's unary4 / unary_grad (selected by the override `math_fn`), linked after
// lib/float.wgsl and lib/activation.wgsl (it uses their helpers). It declares no bindings.
// The CPU twin is src/cpu/unary.ts; the values at the edges (log(0) = -inf, sqrt(-1) = NaN,
// sign(0) = 0, NaN through clip, ...) are NumPy's, made explicit because WGSL leaves them
// undefined.
//
// math_fn: 1 exp, 2 log, 3 log1p, 4 expm1, 5 sqrt, 6 rsqrt, 7 abs, 8 neg, 9 square,
// 10 reciprocal, 11 sin, 12 cos, 13 sign, 14 silu, 15 gelu (erf), 16 gelu (tanh), 17 clip
// to [lo, hi]. Parameter names (z, fz, lo, hi) differ from every binding name (see
// lib/activation.wgsl).

const SQRT1_2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.39894228040143268;
const GELU_TANH_C: f32 = 0.79788456080286536;  // √(2/π)
const GELU_TANH_K: f32 = 0.044715;

// log(1 + z) for every z: log1p (lib/float.wgsl, accurate for small |z|) inside its domain,
// and -inf at -1, NaN below it, inf at inf.
fn log1p_ieee(z: f32) -> f32 {
  if (z <= -1.0 || !is_finite(z)) { return log_ieee(1.0 + z); }
  return log1p(z);
}

// e^z − 1: |z| < 1/2 uses the series to z⁸ (relative error < 2e-8) instead of cancelling.
fn expm1_ieee(z: f32) -> f32 {
  if (abs(z) < 0.5) {
    return z * (1.0 + z * (1.0 / 2.0 + z * (1.0 / 6.0 + z * (1.0 / 24.0 + z * (1.0 / 120.0 +
      z * (1.0 / 720.0 + z * (1.0 / 5040.0 + z / 40320.0)))))));
  }
  return exp_ieee(z) - 1.0;
}

// erf(z) to ~7e-8: Eigen's rational approximation (odd degree-13 / even degree-8 polynomials
// in z on [-4, 4]; erf is ±1 to f32 precision beyond).
fn erf_f32(z: f32) -> f32 {
  if (is_nan(z)) { return z; }
  let x = clamp(z, -4.0, 4.0);
  let x2 = x * x;
  var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08;
  p = x2 * p - 2.10102402082508e-06;
  p = x2 * p - 5.69250639462346e-05;
  p = x2 * p - 7.34990630326855e-04;
  p = x2 * p - 2.95459980854025e-03;
  p = x2 * p - 1.60960333262415e-02;
  var q = x2 * -1.45660718464996e-05 - 2.13374055278905e-04;
  q = x2 * q - 1.68282697438203e-03;
  q = x2 * q - 7.37332916720468e-03;
  q = x2 * q - 1.42647390514189e-02;
  return x * p / q;
}

fn gauss_cdf(z: f32) -> f32 {
  return 0.5 * (1.0 + erf_f32(z * SQRT1_2));
}

fn gelu_tanh_inner(z: f32) -> f32 {
  return GELU_TANH_C * (z + GELU_TANH_K * z * z * z);
}

// sin(z + quadrant·π/2), to ~1 ulp for |z| up to ~1e4 (WGSL promises only 2^-11 absolute
// on [-π, π], and SwiftShader's sin(-3) is off by 2e-5): z − n·π/2 with π/2 split in three
// (Cody-Waite; n·PIO2_1 is exact), then Cephes' sinf/cosf polynomials on [-π/4, π/4].
fn sin_quadrant(z: f32, quadrant: i32) -> f32 {
  if (is_nan(z) || is_inf(z)) { return nan_f32(); }
  let n = round(z * 0.63661977236758134);
  let r = ((z - n * 1.5703125) - n * 4.837512969970703125e-4) - n * 7.54978995489188216e-8;
  let r2 = r * r;
  let s = r + r * r2 * (-1.6666654611e-1 + r2 * (8.3321608736e-3 + r2 * -1.9515295891e-4));
  let c = 1.0 - 0.5 * r2 + r2 * r2 * (4.166664568298827e-2 + r2 * (-1.388731625493765e-3 + r2 * 2.443315711809948e-5));
  switch ((i32(n) + quadrant) & 3) {
    case 0: { return s; }
    case 1: { return c; }
    case 2: { return -s; }
    default: { return -c; }
  }
}

fn sign_ieee(z: f32) -> f32 {
  return select(sign(z), z, is_nan(z));
}

fn unary_math(z: f32, math_fn: u32, lo: f32, hi: f32) -> f32 {
  switch math_fn {
    case 1u: { return exp_ieee(z); }
    case 2u: { return log_ieee(z); }
    case 3u: { return log1p_ieee(z); }
    case 4u: { return expm1_ieee(z); }
    case 5u: { return select(sqrt(z), nan_f32(), z < 0.0 || is_nan(z)); }
    case 6u: {
      if (z == 0.0) { return inf_f32(z); }  // 1/√(±0) = ±inf
      if (z < 0.0 || is_nan(z)) { return nan_f32(); }
      return select(inverseSqrt(z), 0.0, is_inf(z));
    }
    case 7u: { return abs(z); }
    case 8u: { return -z; }
    case 9u: { return z * z; }
    case 10u: { return div_ieee(1.0, z); }
    case 11u: { return sin_quadrant(z, 0); }
    case 12u: { return sin_quadrant(z, 1); }
    case 13u: { return sign_ieee(z); }
    case 14u: { return z * sigmoid_stable(z); }
    case 15u: { return z * gauss_cdf(z); }
    case 16u: { return 0.5 * z * (1.0 + tanh_stable(gelu_tanh_inner(z))); }
    case 17u: { return select(min(max(z, lo), hi), z, is_nan(z)); }
    default: { return z; }
  }
}

// f'(z) given the input z and the output fz = f(z), whichever is cheaper and stable.
fn unary_math_derivative(z: f32, fz: f32, math_fn: u32, lo: f32, hi: f32) -> f32 {
  switch math_fn {
    case 1u: { return fz; }                                  // d eᶻ = eᶻ
    case 2u: { return div_ieee(1.0, z); }                    // d log z = 1/z
    case 3u: { return div_ieee(1.0, 1.0 + z); }              // d log(1+z) = 1/(1+z)
    case 4u: { return fz + 1.0; }                            // d (eᶻ−1) = eᶻ
    case 5u: { return div_ieee(0.5, fz); }                   // d √z = 1/(2√z)
    case 6u: { return div_ieee(-0.5 * fz, z); }              // d z^(−½) = −½ z^(−3/2)
    case 7u: { return sign_ieee(z); }                        // d |z| = sign(z) (0 at 0)
    case 8u: { return -1.0; }                                // d(−z) = −1
    case 9u: { return 2.0 * z; }                             // d z² = 2z
    case 10u: { return -fz * fz; }                           // d (1/z) = −1/z²
    case 11u: { return sin_quadrant(z, 1); }                 // d sin = cos
    case 12u: { return sin_quadrant(z, 2); }                 // d cos = −sin
    case 13u: { return 0.0; }                                // sign is flat (0 at the jump, as PyTorch)
    case 14u: {                                              // d zσ(z) = σ(1 + z(1 − σ))
      let s = sigmoid_stable(z);
      return s * (1.0 + z * (1.0 - s));
    }
    case 15u: { return gauss_cdf(z) + z * INV_SQRT_2PI * exp(-0.5 * z * z); }  // d zΦ(z) = Φ(z) + z φ(z)
    case 16u: {                        // d ½z(1 + tanh u) = ½(1 + t) + ½z(1 − t²)·√(2/π)(1 + 3kz²)
      let t = tanh_stable(gelu_tanh_inner(z));
      return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_TANH_C * (1.0 + 3.0 * GELU_TANH_K * z * z);
    }
    case 17u: { return select(0.0, 1.0, z >= lo && z <= hi && !is_nan(z)); }  // 1 inside [lo, hi], else 0
    default: { return 1.0; }
  }
}
