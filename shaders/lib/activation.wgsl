// Scalar activations and their derivatives: a function library, linked (prepended) into the
// kernels that need it (elementwise.wgsl, matmul.wgsl). It declares no bindings.
//
// kind: 0 identity, 1 sigmoid, 2 tanh, 3 relu, 4 leaky_relu (slope alpha), 5 softplus.
// Every form is stable for |x| up to f32 max: exp only ever sees -|x| (WGSL's tanh and a
// naive 1/(1+exp(-x)) overflow to NaN/inf on some drivers for |x| > ~88).

// For x < 0, e/(1+e) keeps full relative precision (1 − sigmoid(|x|) would round to 0).
fn sigmoid_stable(x: f32) -> f32 {
  let e = exp(-abs(x));            // in (0, 1]
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));      // in (0, 1]
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|)
fn softplus_stable(x: f32) -> f32 {
  return max(x, 0.0) + log(1.0 + exp(-abs(x)));
}

fn activate(x: f32, kind: u32, alpha: f32) -> f32 {
  switch kind {
    case 1u: { return sigmoid_stable(x); }
    case 2u: { return tanh_stable(x); }
    case 3u: { return max(x, 0.0); }
    case 4u: { return select(alpha * x, x, x > 0.0); }
    case 5u: { return softplus_stable(x); }
    default: { return x; }
  }
}

// f'(x) given the input x and the output y = f(x); each kind uses whichever is stable:
// sigmoid y(1-y), tanh 1-y^2, relu step (value at exactly 0 is grad_at_zero), leaky relu
// 1 or alpha (at 0: alpha unless grad_at_zero is 1), softplus sigmoid(x).
fn activation_derivative(x: f32, y: f32, kind: u32, alpha: f32, grad_at_zero: f32) -> f32 {
  switch kind {
    case 1u: { return y * (1.0 - y); }
    case 2u: { return 1.0 - y * y; }
    case 3u: { return select(select(0.0, grad_at_zero, x == 0.0), 1.0, x > 0.0); }
    case 4u: { return select(select(alpha, mix(alpha, 1.0, grad_at_zero), x == 0.0), 1.0, x > 0.0); }
    case 5u: { return sigmoid_stable(x); }
    default: { return 1.0; }
  }
}
