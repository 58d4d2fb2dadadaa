// Elementwise math functions and their derivatives, the CPU twin of shaders/lib/unary.wgsl
// (the `elementwise` family's unary4 / unary_grad with a math `kind`).
//
// Values follow NumPy in f64: log(0) = −inf, log(x < 0) = NaN, sqrt(−1) = NaN, rsqrt(0) = inf,
// sign(0) = 0, sign(NaN) = NaN, exp overflows to inf past ~709 (f64; the f32 engine rounds
// to inf past 88.72, as the GPU); clip propagates NaN (NumPy's clip). gelu is the exact
// x·Φ(x) (erf-based) or its tanh approximation, as PyTorch's approximate='none' | 'tanh'.
//
// The backward is dx = dy · f'(x), each derivative in a one-line comment below, with an exact
// zero where dy is 0 (see `chain` in ./elementwise). It reads the saved input x and output y.

import { sigmoidScalar } from './activation';
import { chain } from './elementwise';
import { assertLength, type Vec } from './types';

export type UnaryKind =
  | 'exp' | 'log' | 'log1p' | 'expm1' | 'sqrt' | 'rsqrt' | 'abs' | 'neg' | 'square' | 'reciprocal'
  | 'sin' | 'cos' | 'sign' | 'silu' | 'gelu' | 'geluTanh' | 'clip';

/** clip's bounds (other kinds ignore them). */
export interface UnaryParams {
  lo: number;
  hi: number;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI); // the tanh approximation's √(2/π)
const GELU_TANH_K = 0.044715;

/** erf(x) to ~1e-16: a positive series e^(−x²) Σ 2ⁿx^(2n+1)/(2n+1)!! below 3, above it
 *  1 − erfc(x) by erfc's continued fraction (JS has no Math.erf). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return x;
  if (ax < 3) {
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  let f = 0; // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}

const gaussCdf = (x: number) => 0.5 * (1 + erf(x * SQRT1_2)); // Φ(x)

function geluTanhInner(x: number): number {
  return GELU_TANH_C * (x + GELU_TANH_K * x * x * x);
}

const forward: Record<UnaryKind, (x: number, p: UnaryParams) => number> = {
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  neg: (x) => -x,
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  silu: (x) => x * sigmoidScalar(x),
  gelu: (x) => x * gaussCdf(x),
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(geluTanhInner(x))),
  clip: (x, { lo, hi }) => (Number.isNaN(x) ? x : Math.min(Math.max(x, lo), hi)),
};

const derivative: Record<UnaryKind, (x: number, y: number, p: UnaryParams) => number> = {
  exp: (_x, y) => y, // d eˣ = eˣ
  log: (x) => 1 / x, // d log x = 1/x
  log1p: (x) => 1 / (1 + x), // d log(1+x) = 1/(1+x)
  expm1: (_x, y) => y + 1, // d (eˣ−1) = eˣ
  sqrt: (_x, y) => 0.5 / y, // d √x = 1/(2√x)
  rsqrt: (x, y) => -0.5 * y / x, // d x^(−½) = −½ x^(−3/2)
  abs: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN), // d |x| = sign(x) (0 at 0)
  neg: () => -1, // d(−x) = −1
  square: (x) => 2 * x, // d x² = 2x
  reciprocal: (_x, y) => -y * y, // d (1/x) = −1/x²
  sin: Math.cos, // d sin = cos
  cos: (x) => -Math.sin(x), // d cos = −sin
  sign: () => 0, // flat (0 at the jump, as PyTorch)
  silu: (x) => { // d x·σ(x) = σ(1 + x(1 − σ))
    const s = sigmoidScalar(x);
    return s * (1 + x * (1 - s));
  },
  gelu: (x) => gaussCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x), // d xΦ(x) = Φ(x) + x φ(x)
  geluTanh: (x) => { // d ½x(1 + tanh u) = ½(1 + t) + ½x(1 − t²) u', u' = √(2/π)(1 + 3kx²)
    const t = Math.tanh(geluTanhInner(x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_TANH_C * (1 + 3 * GELU_TANH_K * x * x);
  },
  clip: (x, _y, { lo, hi }) => (x >= lo && x <= hi ? 1 : 0), // 1 inside [lo, hi] (bounds included), else 0
};

const NO_PARAMS: UnaryParams = { lo: -Infinity, hi: Infinity };

// y[i] = f(x[i])
export function unaryCpu(kind: UnaryKind, x: Vec, params: UnaryParams = NO_PARAMS): Vec {
  const f = forward[kind];
  if (!f) throw new RangeError(`unaryCpu: unknown function ${String(kind)}`);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]!, params);
  return y;
}

// dx[i] = dy[i] · f'(x[i]) with f' from the saved input x or output y
export function unaryGradCpu(kind: UnaryKind, x: Vec, y: Vec, dy: Vec, params: UnaryParams = NO_PARAMS): Vec {
  const d = derivative[kind];
  if (!d) throw new RangeError(`unaryGradCpu: unknown function ${String(kind)}`);
  assertLength(`unaryGradCpu(${kind})`, 'y', y, x.length);
  assertLength(`unaryGradCpu(${kind})`, 'dy', dy, x.length);
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = chain(dy[i]!, d(x[i]!, y[i]!, params));
  return dx;
}
