// Scalar activations and their derivatives (diagonal Jacobians), the CPU twin of
// shaders/lib/activation.wgsl.
//
// Forms are stable for any finite x: exp only ever sees -|x| (sigmoid, softplus), so
// |x| = 1000 gives 0/1 and x/0 instead of NaN. The backward takes both the saved input x
// and the saved output y and uses whichever gives the stable, cheap derivative:
// sigmoid and tanh from y, relu / leaky relu / softplus from x. Callers may pass an empty
// array for the one a kind does not read.
//
// A zero dy gives an exact zero dx even where f' is NaN (at a NaN input): see `chain`.
//
// ReLU has no derivative at exactly 0; the subgradient used there is a documented choice:
// `reluGradAtZero` 0 (default, as PyTorch and TF.js) or 1 (as in the lectures). For leaky
// ReLU the same switch picks alpha (0) or 1 (1) at x = 0. NaN inputs give NaN outputs.

import { chain } from './elementwise';
import { assertLength, type Vec } from './types';

/** A scalar activation fused into matmul, conv2d and the layers: 'identity' (none) or the
 *  function of the engine's method of that name (sigmoid, tanh, relu, leakyRelu, softplus). */
export type ActivationKind = 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'softplus';

export interface ActivationGradOptions {
  /** Leaky ReLU slope for x < 0 (default 0.01). */
  alpha?: number;
  /** ReLU / leaky ReLU subgradient choice at exactly x = 0 (default 0, see header). */
  reluGradAtZero?: 0 | 1;
}

// sigmoid(x) = 1 / (1 + e^-x), computed from e^-|x| so it never overflows
export function sigmoidScalar(x: number): number {
  const e = Math.exp(-Math.abs(x)); // in (0, 1]
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
export function softplusScalar(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

// y[i] = f(x[i])
export function activationCpu(kind: ActivationKind, x: Vec, alpha = 0.01): Vec {
  const n = x.length;
  const y = new Float64Array(n);
  switch (kind) {
    case 'identity':
      y.set(x);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = sigmoidScalar(x[i]!);
      break;
    case 'tanh':
      // Math.tanh saturates to ±1 for large |x|; it never overflows to NaN.
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
      break;
    case 'relu':
      // `x < 0 ? 0 : x` keeps NaN as NaN.
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v < 0 ? 0 : v;
      }
      break;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v < 0 ? alpha * v : v;
      }
      break;
    case 'softplus':
      for (let i = 0; i < n; i++) y[i] = softplusScalar(x[i]!);
      break;
    default:
      throw new RangeError(`activationCpu: unknown activation ${String(kind)}`);
  }
  return y;
}

// dx[i] = dy[i] * f'(x[i]) with f' from y = f(x) where that is the stable form
export function activationGradCpu(
  kind: ActivationKind,
  dy: Vec,
  x: Vec,
  y: Vec,
  opts: ActivationGradOptions = {},
): Vec {
  const n = dy.length;
  const alpha = opts.alpha ?? 0.01;
  const atZero = opts.reluGradAtZero ?? 0;
  if (atZero !== 0 && atZero !== 1) {
    throw new RangeError(`activationGradCpu: reluGradAtZero must be 0 or 1, got ${String(atZero)}`);
  }
  const dx = new Float64Array(n);
  switch (kind) {
    case 'identity': // f' = 1
      dx.set(dy);
      break;
    case 'sigmoid': // f' = y (1 - y)
      assertLength('activationGradCpu(sigmoid)', 'y', y, n);
      for (let i = 0; i < n; i++) {
        const s = y[i]!;
        dx[i] = chain(dy[i]!, s * (1 - s));
      }
      break;
    case 'tanh': // f' = 1 - y²
      assertLength('activationGradCpu(tanh)', 'y', y, n);
      for (let i = 0; i < n; i++) {
        const t = y[i]!;
        dx[i] = chain(dy[i]!, 1 - t * t);
      }
      break;
    case 'relu': {
      // f' = 1 for x > 0, 0 for x < 0, reluGradAtZero at x = 0 (NaN stays NaN)
      assertLength('activationGradCpu(relu)', 'x', x, n);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        const d = v > 0 ? 1 : v < 0 ? 0 : v === 0 ? atZero : NaN;
        dx[i] = chain(dy[i]!, d);
      }
      break;
    }
    case 'leakyRelu': {
      // f' = 1 for x > 0, alpha for x < 0, (reluGradAtZero ? 1 : alpha) at x = 0
      assertLength('activationGradCpu(leakyRelu)', 'x', x, n);
      const g0 = atZero === 1 ? 1 : alpha;
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        const d = v > 0 ? 1 : v < 0 ? alpha : v === 0 ? g0 : NaN;
        dx[i] = chain(dy[i]!, d);
      }
      break;
    }
    case 'softplus': // f' = sigmoid(x)
      assertLength('activationGradCpu(softplus)', 'x', x, n);
      for (let i = 0; i < n; i++) dx[i] = chain(dy[i]!, sigmoidScalar(x[i]!));
      break;
    default:
      throw new RangeError(`activationGradCpu: unknown activation ${String(kind)}`);
  }
  return dx;
}
