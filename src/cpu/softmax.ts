// Row-wise softmax / log-softmax over the last axis, and the softmax Jacobian-vector
// product, for a [rows, cols] matrix.
//
//   y = softmax(z):  y_j = e^(z_j - m) / Σ_i e^(z_i - m),  m = max_i z_i   (stable)
//   log-softmax:     z_j - m - log Σ_i e^(z_i - m)                         (no log(0))
//   Jacobian:        ∂y_j/∂z_i = y_j (δ_ij - y_i), symmetric, so JVP = VJP:
//                    J v = y ⊙ (v - ⟨v, y⟩)  per row, without forming J.
//   backward kernels: ∂/∂y of ⟨g, J v⟩ = g ⊙ (v - ⟨v, y⟩) - v ⟨g, y⟩  (softmaxJvpGradYCpu);
//                    log-softmax's VJP dy - e^y Σ dy, y = log-softmax  (logSoftmaxGradCpu)
//
// Subtracting the row max makes the largest exponent e^0 = 1, so the sum is in [1, cols]:
// no overflow for logits ±1000 and no division by zero. A row whose entries are all -inf
// has no max to subtract; we return its limit for equal logits, the uniform row 1/cols
// (log-softmax -log cols), rather than NaN (which PyTorch gives, and which poisons a
// whole training step). A NaN or +inf entry gives a NaN row.

import { assertDims, assertLength, type Vec } from './types';

// y[r, :] = softmax(x[r, :]), or log-softmax when `log`
export function softmaxCpu(x: Vec, rows: number, cols: number, log = false): Vec {
  assertDims('softmaxCpu', { rows, cols });
  assertLength('softmaxCpu', 'x', x, rows * cols);
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = x[o + j]!;
      if (v > m || v !== v) m = v; // NaN wins so that it propagates
    }
    if (m === -Infinity) {
      // all -inf: the equal-logits limit (see header)
      y.fill(log ? -Math.log(cols) : 1 / cols, o, o + cols);
      continue;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j]! - m);
    if (log) {
      const lse = Math.log(sum); // in [0, log cols]
      for (let j = 0; j < cols; j++) y[o + j] = x[o + j]! - m - lse;
    } else {
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) y[o + j] = Math.exp(x[o + j]! - m) * inv;
    }
  }
  return y;
}

// (J v)[r, :] = y[r, :] ⊙ (v[r, :] - ⟨v[r, :], y[r, :]⟩)
export function softmaxJvpCpu(y: Vec, v: Vec, rows: number, cols: number): Vec {
  assertDims('softmaxJvpCpu', { rows, cols });
  assertLength('softmaxJvpCpu', 'y', y, rows * cols);
  assertLength('softmaxJvpCpu', 'v', v, rows * cols);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += v[o + j]! * y[o + j]!;
    for (let j = 0; j < cols; j++) out[o + j] = y[o + j]! * (v[o + j]! - dot);
  }
  return out;
}

// out[r, :] = g ⊙ (v - ⟨v, y⟩) - v ⟨g, y⟩: the gradient of ⟨g, jvp(y, v)⟩ w.r.t. y
export function softmaxJvpGradYCpu(y: Vec, v: Vec, g: Vec, rows: number, cols: number): Vec {
  assertDims('softmaxJvpGradYCpu', { rows, cols });
  for (const [name, a] of [['y', y], ['v', v], ['g', g]] as const) assertLength('softmaxJvpGradYCpu', name, a, rows * cols);
  const out = new Float64Array(rows * cols);
  for (let o = 0; o < out.length; o += cols) {
    let vy = 0;
    let gy = 0;
    for (let j = o; j < o + cols; j++) {
      vy += v[j]! * y[j]!;
      gy += g[j]! * y[j]!;
    }
    for (let j = o; j < o + cols; j++) out[j] = g[j]! * (v[j]! - vy) - v[j]! * gy;
  }
  return out;
}

// out[r, :] = dy - e^y Σ_row dy, y the saved log-softmax (e^y = softmax): log-softmax's VJP
export function logSoftmaxGradCpu(y: Vec, dy: Vec, rows: number, cols: number): Vec {
  assertDims('logSoftmaxGradCpu', { rows, cols });
  assertLength('logSoftmaxGradCpu', 'y', y, rows * cols);
  assertLength('logSoftmaxGradCpu', 'dy', dy, rows * cols);
  const out = new Float64Array(rows * cols);
  for (let o = 0; o < out.length; o += cols) {
    let sum = 0;
    for (let j = o; j < o + cols; j++) sum += dy[j]!;
    for (let j = o; j < o + cols; j++) out[j] = dy[j]! - Math.exp(y[j]!) * sum;
  }
  return out;
}
