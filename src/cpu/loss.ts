// Losses over a batch of T rows (the first input is [T, K], T = rows, K = cols). Each is
// the mean over the rows of a per-row divergence, Loss = (1/T) Σ_t Div(y_t, d_t), and
// returns the loss and its gradient with respect to the first input (so every per-row
// gradient carries the 1/T). Sums are f64.
//
//   mseLoss:             (1/T) Σ_t ½‖y_t - d_t‖²                grad (y - d)/T
//                        (the lectures' L2 divergence, not the per-element mean)
//   binaryCrossEntropy:  (1/T) Σ_t Σ_i -d log p - (1-d) log(1-p),  p clamped to
//                        [eps, 1-eps]; grad (p - d) / (p(1-p)) / T, see below
//   softmaxCrossEntropy: (1/T) Σ_t -Σ_i d_i log softmax(z_t)_i     grad (softmax(z) - d)/T
//   binaryCrossEntropyWithLogits: the mean over ALL T·K elements (PyTorch's and TF.js's
//                        reduction) of the BCE of sigmoid(z), in a stable form; grad (σ(z) − d)/(TK)
//
// BCE at the clamp: inside (eps, 1-eps) the gradient is the exact derivative. Outside,
// the clamped loss is flat, but we return the derivative at the clamp boundary,
// (p_c - d)/(p_c(1-p_c))/T with p_c = clamp(p) (a straight-through clamp), not 0: a
// saturated wrong prediction (p ≈ 0 for d = 1) still gets a bounded push (|grad| ≤
// 1/(eps(1-eps)T)) the right way instead of stalling. PyTorch does the same in spirit
// (its BCE backward divides by max(p(1-p), 1e-12)); TF.js's clip gives 0 there.
//
// Softmax CE uses log-softmax (z - max - log Σ e^(z - max)), so logits ±1000 give finite
// loss and gradient, and terms with d_i = 0 are skipped (0·log 0 = 0, no 0·inf). For
// target rows that do not sum to 1 the exact gradient is (softmax(z)·Σ_i d_i - d)/T,
// which is what we return; for probability rows it is (softmax(z) - d)/T.

import { softmaxCpu } from './softmax';
import { assertDims, assertLength, type Vec } from './types';

export interface LossResult {
  loss: number;
  /** ∂loss/∂(first input), same length as it. */
  grad: Vec;
}

// rows, cols are dimensions and rows > 0 (a mean over no rows is undefined)
function checkRows(fn: string, rows: number, cols: number): void {
  assertDims(fn, { rows, cols });
  if (rows === 0) throw new RangeError(`${fn}: the mean over 0 rows is undefined`);
}

// (1/T) Σ_t ½‖y_t - d_t‖²,  grad (y - d)/T
export function mseLossCpu(y: Vec, d: Vec, rows: number, cols: number): LossResult {
  checkRows('mseLossCpu', rows, cols);
  assertLength('mseLossCpu', 'y', y, rows * cols);
  assertLength('mseLossCpu', 'd', d, rows * cols);
  const invT = 1 / rows;
  const grad = new Float64Array(rows * cols);
  let sum = 0;
  for (let i = 0; i < grad.length; i++) {
    const e = y[i]! - d[i]!;
    sum += e * e;
    grad[i] = e * invT;
  }
  return { loss: 0.5 * sum * invT, grad };
}

// (1/T) Σ -d log p_c - (1-d) log(1-p_c), p_c = clamp(p, eps, 1-eps); grad (p_c-d)/(p_c(1-p_c))/T
export function binaryCrossEntropyCpu(
  p: Vec,
  d: Vec,
  rows: number,
  cols: number,
  eps = 1e-7,
): LossResult {
  checkRows('binaryCrossEntropyCpu', rows, cols);
  assertLength('binaryCrossEntropyCpu', 'p', p, rows * cols);
  assertLength('binaryCrossEntropyCpu', 'd', d, rows * cols);
  if (!(eps >= 0 && eps < 0.5)) throw new RangeError(`binaryCrossEntropyCpu: eps must be in [0, 0.5), got ${eps}`);
  const invT = 1 / rows;
  const lo = eps;
  const hi = 1 - eps;
  const grad = new Float64Array(rows * cols);
  let sum = 0;
  for (let i = 0; i < grad.length; i++) {
    const pi = p[i]!;
    const pc = pi < lo ? lo : pi > hi ? hi : pi; // NaN stays NaN
    // 1 - p_c without cancellation: exactly eps at the upper clamp (1 - (1 - eps) is not,
    // in floating point), and 1 - p is exact for p ≥ 0.5 (Sterbenz)
    const qc = pi > hi ? eps : 1 - pc;
    const di = d[i]!;
    // log(1 - p): log1p(-p) keeps precision for small p. A term whose weight is exactly 0
    // is skipped (for eps = 0 that avoids 0·log 0 = NaN when p and d are both 0 or 1).
    if (di !== 0) sum -= di * Math.log(pc);
    if (di !== 1) sum -= (1 - di) * (pc < 0.5 ? Math.log1p(-pc) : Math.log(qc));
    // p_c - d, written as (1 - d) - (1 - p_c) near 1 so the upper clamp keeps its digits
    const num = pc < 0.5 ? pc - di : 1 - di - qc;
    grad[i] = (num / (pc * qc)) * invT;
  }
  return { loss: sum * invT, grad };
}

// (1/n) Σ max(z, 0) − z·d + log1p(e^−|z|) over all n = T·K elements;  grad (sigmoid(z) − d)/n
// This is −d log σ(z) − (1−d) log(1 − σ(z)) rewritten so that no exp overflows and no log
// sees 0: finite for every finite z (z = ±1e30 costs |z| or 0, not inf − inf).
export function binaryCrossEntropyWithLogitsCpu(z: Vec, d: Vec, rows: number, cols: number): LossResult {
  checkRows('binaryCrossEntropyWithLogitsCpu', rows, cols);
  assertLength('binaryCrossEntropyWithLogitsCpu', 'z', z, rows * cols);
  assertLength('binaryCrossEntropyWithLogitsCpu', 'd', d, rows * cols);
  const invN = 1 / (rows * cols);
  const grad = new Float64Array(rows * cols);
  let sum = 0;
  for (let i = 0; i < grad.length; i++) {
    const zi = z[i]!;
    const e = Math.exp(-Math.abs(zi)); // in (0, 1]
    sum += Math.max(zi, 0) - zi * d[i]! + Math.log1p(e);
    const sigmoid = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
    grad[i] = (sigmoid - d[i]!) * invN;
  }
  return { loss: sum * invN, grad };
}

// targets[t, :] = (1 - α)·onehot(labels[t]) + α/K   (or (1 - α)·d_t + α/K for given rows)
export function softmaxTargetsCpu(
  labels: Int32Array | Vec,
  rows: number,
  cols: number,
  labelSmoothing = 0,
): Vec {
  assertDims('softmaxTargetsCpu', { rows, cols });
  const alpha = labelSmoothing;
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new RangeError(`softmaxTargetsCpu: labelSmoothing must be in [0, 1], got ${alpha}`);
  }
  const keep = 1 - alpha;
  const eps = cols > 0 ? alpha / cols : 0; // the lectures' ε = α/K
  const out = new Float64Array(rows * cols);
  if (labels instanceof Int32Array) {
    assertLength('softmaxTargetsCpu', 'labels (class indices)', labels, rows);
    out.fill(eps);
    for (let t = 0; t < rows; t++) {
      const c = labels[t]!;
      if (c < 0 || c >= cols) throw new RangeError(`softmaxTargetsCpu: label ${c} in row ${t} outside [0, ${cols})`);
      out[t * cols + c]! += keep;
    }
  } else {
    assertLength('softmaxTargetsCpu', 'labels (target rows)', labels, rows * cols);
    for (let i = 0; i < out.length; i++) out[i] = keep * labels[i]! + eps;
  }
  return out;
}

// (1/T) Σ_t -Σ_i d_i logsoftmax(z_t)_i,  grad (softmax(z)·Σ_i d_i - d)/T
export function softmaxCrossEntropyCpu(
  logits: Vec,
  targets: Vec,
  rows: number,
  cols: number,
): LossResult {
  checkRows('softmaxCrossEntropyCpu', rows, cols);
  assertLength('softmaxCrossEntropyCpu', 'logits', logits, rows * cols);
  assertLength('softmaxCrossEntropyCpu', 'targets', targets, rows * cols);
  const invT = 1 / rows;
  const grad = new Float64Array(rows * cols);
  let total = 0;
  for (let t = 0; t < rows; t++) {
    const o = t * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = logits[o + j]!;
      if (v > m || v !== v) m = v;
    }
    // shift = m + log Σ e^(z - m) = logsumexp(z); log softmax = z - shift.
    // An all -inf row takes the equal-logits limit, as softmaxCpu does: uniform.
    const allNegInf = m === -Infinity;
    let sumExp = 0;
    if (!allNegInf) for (let j = 0; j < cols; j++) sumExp += Math.exp(logits[o + j]! - m);
    const logSum = Math.log(sumExp);
    let sumD = 0;
    let rowLoss = 0;
    for (let j = 0; j < cols; j++) {
      const dj = targets[o + j]!;
      sumD += dj;
      const logp = allNegInf ? -Math.log(cols) : logits[o + j]! - m - logSum;
      if (dj !== 0) rowLoss -= dj * logp;
    }
    for (let j = 0; j < cols; j++) {
      const pj = allNegInf ? 1 / cols : Math.exp(logits[o + j]! - m - logSum);
      grad[o + j] = (pj * sumD - targets[o + j]!) * invT;
    }
    total += rowLoss;
  }
  return { loss: total * invT, grad };
}

/** A loss's outputs as the ops give them (src/ops/loss.ts): [value], then its gradient when
 *  `saved` (a tape records the loss). */
export function lossOutputs({ loss, grad }: LossResult, saved: boolean): Vec[] {
  return saved ? [Float64Array.of(loss), grad] : [Float64Array.of(loss)];
}

// Gradients with respect to the targets, times the upstream scalar g.

// dd = -g · aux, aux = (y - d)/T the saved MSE gradient
export function mseTargetGradCpu(aux: Vec, g: number): Vec {
  return aux.map((a) => -g * a);
}

// dd = g (log q_c - log p_c)/T, p_c = clamp(p, eps, 1-eps), q_c = 1 - p_c (as binaryCrossEntropyCpu)
export function bceTargetGradCpu(p: Vec, g: number, rows: number, eps = 1e-7): Vec {
  const scale = g / rows;
  return p.map((pi) => {
    const pc = Math.min(Math.max(pi, eps), 1 - eps);
    const logQ = pc < 0.5 ? Math.log1p(-pc) : Math.log(pi > 1 - eps ? eps : 1 - pc);
    return scale * (logQ - Math.log(pc));
  });
}

// dd = −g·z/n, the gradient of BCE with logits w.r.t. its targets (n = all elements)
export function bceLogitsTargetGradCpu(z: Vec, g: number): Vec {
  return z.map((zi) => (-g * zi) / z.length);
}

// dd = -g (1 - α) log softmax(z)/T, the softmax CE gradient w.r.t. dense targets
export function ceTargetGradCpu(z: Vec, g: number, rows: number, cols: number, labelSmoothing: number): Vec {
  const scale = (-g * (1 - labelSmoothing)) / rows;
  return softmaxCpu(z, rows, cols, true).map((l) => scale * l);
}
