// Losses: the mean over the T rows of a batch (the last axis holds one example's K values)
// of a per-row divergence, Loss = (1/T) Σ_t Div(x_t, d_t). One kernel per loss computes the
// per-row divergences and the gradient w.r.t. the first input together (shaders/loss.wgsl);
// reduce.reduce_sum then averages the rows in a fixed order, so two runs agree bit for bit.
//
// Outputs: [0] the loss, shape []; [1] ∂Loss/∂x, saved for backward (dx = g · aux) and so
// made only where a tape records the loss (backwardOnly: inference and evaluation skip its
// writes). The per-row divergences pass between the two dispatches in a scratch buffer.

import {
  bceTargetGradCpu,
  binaryCrossEntropyCpu,
  binaryCrossEntropyWithLogitsCpu,
  bceLogitsTargetGradCpu,
  ceTargetGradCpu,
  lossOutputs,
  mseLossCpu,
  mseTargetGradCpu,
  softmaxCrossEntropyCpu,
  softmaxTargetsCpu,
} from '../cpu/loss';
import { grid1d, type CommandQueue } from '../gpu/queue';
import type { KernelName, Overrides } from '../gpu/kernels';
import { nonDifferentiable, type NoAttrs, type OpDef, type OpRunner } from './op';
import { rowView } from './softmax';
import { dispatchRows, shortRows } from '../gpu/rows';
import { recordSum } from './reduce';
import { Tensor, fmt, shapeSize, type Shape } from './tensor';

/** The BCE clamp p ∈ [eps, 1 - eps] (the default of src/cpu/loss.ts). */
const BCE_EPS = 1e-7;
/** As in src/ops/reduce.ts, so the mean over rows reuses its reduce_sum pipeline. */
const ELEMENTWISE_WORKGROUP = 256;

export interface CrossEntropyAttrs {
  /** α in [0, 1): targets (1 - α)·d + α/K. */
  labelSmoothing: number;
  /** 'index': the second input is [T] class indices stored as f32 (exact below 2^24);
   *  'dense': target rows of the logits' shape (one-hot or probabilities). */
  labels: 'index' | 'dense';
}

/** Options of {@link Engine.softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** α in [0, 1), as in PyTorch and TF.js: targets (1 - α)·onehot + α/K. Default 0. */
  labelSmoothing?: number;
}

// ---- shape rules ------------------------------------------------------------------------

function rowsOf(op: string, x: Shape): { rows: number; cols: number } {
  const view = rowView(x);
  if (view.rows === 0) throw new Error(`${op}: input ${fmt(x)} has no rows; the mean over 0 rows is undefined`);
  return view;
}

function sameShape(op: string, [a, b]: [string, string], sa: Shape, sb: Shape): void {
  if (sa.length !== sb.length || sa.some((d, k) => d !== sb[k])) {
    throw new Error(`${op}: ${a} ${fmt(sa)} and ${b} ${fmt(sb)} must have the same shape`);
  }
}

function checkLabelSmoothing(op: string, alpha: unknown): number {
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha < 1)) {
    throw new Error(`${op}: labelSmoothing must be a number in [0, 1), got ${String(alpha)}`);
  }
  return alpha;
}

// ---- the GPU body shared by the three losses --------------------------------------------

interface LossUniforms {
  alpha?: number;
  dense?: boolean;
  /** The kernel reads x and d as vec4s too (x4, d4: ce_rows). */
  quads?: boolean;
  /** The gradient's scale (default 1/T, the mean over rows). */
  invT?: number;
}

/** Row kernel (divergences into a scratch buffer, and the gradient when `saved`), then the
 *  mean of the rows with reduce_sum. Without the gradient its binding gets a stand-in the
 *  kernel never writes. */
function lossGpu(q: CommandQueue, kernel: `loss.${string}`, [x, d]: GPUBuffer[], [value, grad]: GPUBuffer[], shape: Shape, saved: boolean, u: LossUniforms = {}): void {
  const view = rowView(shape);
  // softmax CE on short rows: the row in registers (shaders/loss.wgsl ce_short)
  const short = kernel === 'loss.ce_rows' && shortRows(view.cols, q.choices.profile.rows);
  const overrides: Overrides = {
    with_grad: saved,
    ...(u.dense === undefined ? {} : { dense_labels: u.dense }),
    ...(u.quads && !short ? { whole_quads: view.cols % 4 === 0 } : {}),
  };
  const rowLoss = q.scratch(view.rows * 4);
  const inputs: Record<string, GPUBuffer> = u.quads && !short ? { x4: x!, d: d!, d4: d! } : { x: x!, d: d! };
  const bindings = { ...inputs, grad: saved ? grad! : q.scratch(4), row_loss: rowLoss };
  dispatchRows(q, short ? 'loss.ce_short' : kernel, view, { inv_t: u.invT ?? 1 / view.rows, alpha: u.alpha ?? 0, eps: BCE_EPS }, bindings, overrides);
  recordSum(q, rowLoss, value!, { outer: 1, len: view.rows, inner: 1 }, 1 / view.rows);
}

// ---- the losses ---------------------------------------------------------------------------

/** (1/T) Σ_t ½‖y_t - d_t‖² (the lectures' L2 divergence, not the per-element mean). */
export const mseLoss: OpDef<NoAttrs> = {
  name: 'mseLoss',
  outputs([y, d]) {
    sameShape('mseLoss', ['y', 'd'], y!, d!);
    rowsOf('mseLoss', y!);
    return [[], y!];
  },
  backwardOnly: true,
  cpu: ([y, d], [s], _, saved) => lossOutputs(mseLossCpu(y!, d!, rowView(s!).rows, rowView(s!).cols), saved),
  gpu: (q, ins, outs, [s], _, saved) => lossGpu(q, 'loss.mse_rows', ins, outs, s!, saved),
  // aux = (y - d)/T:  dy = g·aux,  dd = -g·aux
  backward: ({ ops, outputs: [, aux], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1('mul', [aux!, dy], {}) : null,
    needsGrad[1] ? ops.run1('mseTargetGrad', [aux!, dy], {}) : null,
  ],
};

/** (1/T) Σ_t Σ_i -d log p - (1-d) log(1-p), p clamped to [1e-7, 1 - 1e-7] (src/cpu/loss.ts). */
export const binaryCrossEntropy: OpDef<NoAttrs> = {
  name: 'binaryCrossEntropy',
  outputs([p, d]) {
    sameShape('binaryCrossEntropy', ['p', 'd'], p!, d!);
    rowsOf('binaryCrossEntropy', p!);
    return [[], p!];
  },
  backwardOnly: true,
  cpu: ([p, d], [s], _, saved) => lossOutputs(binaryCrossEntropyCpu(p!, d!, rowView(s!).rows, rowView(s!).cols, BCE_EPS), saved),
  gpu: (q, ins, outs, [s], _, saved) => lossGpu(q, 'loss.bce_rows', ins, outs, s!, saved),
  // aux = (p_c - d)/(p_c q_c)/T:  dp = g·aux,  dd = g (log q_c - log p_c)/T
  backward: ({ ops, inputs: [p], outputs: [, aux], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1('mul', [aux!, dy], {}) : null,
    needsGrad[1] ? ops.run1('bceTargetGrad', [p!, dy], {}) : null,
  ],
};

/** (1/T) Σ_t -Σ_i t_i log softmax(z_t)_i, t = (1 - α)·d + α/K, fused with log-softmax. */
export const softmaxCrossEntropy: OpDef<CrossEntropyAttrs> = {
  name: 'softmaxCrossEntropy',
  outputs([z, d], { labelSmoothing, labels }) {
    const op = 'softmaxCrossEntropy';
    checkLabelSmoothing(op, labelSmoothing);
    const { rows } = rowsOf(op, z!);
    if (labels === 'dense') sameShape(op, ['logits', 'labels'], z!, d!);
    else if (d!.length !== 1 || d![0] !== rows) {
      throw new Error(`${op}: class indices ${fmt(d!)} must have shape [${rows}], one per row of logits ${fmt(z!)}`);
    }
    return [[], z!];
  },
  backwardOnly: true,
  cpu([z, d], [s], { labelSmoothing, labels }, saved) {
    const { rows, cols } = rowView(s!);
    const targets = softmaxTargetsCpu(labels === 'index' ? Int32Array.from(d!) : d!, rows, cols, labelSmoothing);
    return lossOutputs(softmaxCrossEntropyCpu(z!, targets, rows, cols), saved);
  },
  gpu: (q, ins, outs, [s], { labelSmoothing, labels }, saved) =>
    lossGpu(q, 'loss.ce_rows', ins, outs, s!, saved, { alpha: labelSmoothing, dense: labels === 'dense', quads: true }),
  // aux = (softmax(z)·Σt - t)/T:  dz = g·aux;  dense targets: dd = -g (1 - α) log softmax(z)/T
  backward: ({ ops, inputs: [z], outputs: [, aux], dy, needsGrad, attrs }) => [
    needsGrad[0] ? ops.run1('mul', [aux!, dy], {}) : null,
    needsGrad[1] && attrs.labels === 'dense' ? ops.run1('ceTargetGrad', [z!, dy], { labelSmoothing: attrs.labelSmoothing }) : null,
  ],
};

/** (1/n) Σ max(z, 0) − z·d + log1p(e^−|z|) over all n elements: BCE of sigmoid(z), stable for
 *  any z (PyTorch's BCEWithLogitsLoss, mean reduction). Per-row values are row means. */
export const binaryCrossEntropyWithLogits: OpDef<NoAttrs> = {
  name: 'binaryCrossEntropyWithLogits',
  outputs([z, d]) {
    sameShape('binaryCrossEntropyWithLogits', ['z', 'd'], z!, d!);
    if (shapeSize(z!) === 0) throw new Error(`binaryCrossEntropyWithLogits: z ${fmt(z!)} is empty; the mean over 0 elements is undefined`);
    rowsOf('binaryCrossEntropyWithLogits', z!);
    return [[], z!];
  },
  backwardOnly: true,
  cpu: ([z, d], [s], _, saved) => lossOutputs(binaryCrossEntropyWithLogitsCpu(z!, d!, rowView(s!).rows, rowView(s!).cols), saved),
  gpu: (q, ins, outs, [s], _, saved) => lossGpu(q, 'loss.bce_logits_rows', ins, outs, s!, saved, { invT: 1 / shapeSize(s!) }),
  // aux = (σ(z) − d)/n:  dz = g·aux,  dd = −g·z/n
  backward: ({ ops, inputs: [z], outputs: [, aux], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1('mul', [aux!, dy], {}) : null,
    needsGrad[1] ? ops.run1('bceLogitsTargetGrad', [z!, dy], {}) : null,
  ],
};

// ---- gradients with respect to the targets ------------------------------------------------

function elementwiseGpu(q: CommandQueue, kernel: KernelName, [x, g]: GPUBuffer[], [out]: GPUBuffer[], s: Shape, invT = 1 / Math.max(rowView(s).rows, 1)): void {
  const { rows, cols } = rowView(s);
  const n = shapeSize(s);
  if (n === 0) return;
  q.dispatch({
    kernel,
    overrides: { workgroup_size: ELEMENTWISE_WORKGROUP },
    uniforms: { rows, cols, inv_t: invT, alpha: 0, eps: BCE_EPS },
    bindings: { x: x!, g: g!, out: out! },
    workgroups: grid1d(n, ELEMENTWISE_WORKGROUP),
  });
}

const TARGET_GRAD = nonDifferentiable('a loss gradient w.r.t. its targets is a backward kernel; second derivatives of losses are not supported');

function scalarGrad(op: string, x: Shape, g: Shape): Shape[] {
  if (shapeSize(g) !== 1) throw new Error(`${op}: the upstream gradient ${fmt(g)} must have one element`);
  return [x];
}

/** dd = -g · aux, aux = (y - d)/T: the MSE gradient w.r.t. the target. */
export const mseTargetGrad: OpDef<NoAttrs> = {
  name: 'mseTargetGrad',
  outputs: ([aux, g]) => scalarGrad('mseTargetGrad', aux!, g!),
  cpu: ([aux, g]) => [mseTargetGradCpu(aux!, g![0]!)],
  gpu: (q, ins, outs, [s]) => elementwiseGpu(q, 'loss.mse_target_grad', ins, outs, s!),
  backward: TARGET_GRAD,
};

/** dd = g (log q_c - log p_c)/T, the BCE gradient w.r.t. the target (p clamped as the loss). */
export const bceTargetGrad: OpDef<NoAttrs> = {
  name: 'bceTargetGrad',
  outputs: ([p, g]) => scalarGrad('bceTargetGrad', p!, g!),
  cpu: ([p, g], [s]) => [bceTargetGradCpu(p!, g![0]!, rowView(s!).rows, BCE_EPS)],
  gpu: (q, ins, outs, [s]) => elementwiseGpu(q, 'loss.bce_target_grad', ins, outs, s!),
  backward: TARGET_GRAD,
};

/** dd = −g·z/n, the gradient of BCE with logits w.r.t. the target. */
export const bceLogitsTargetGrad: OpDef<NoAttrs> = {
  name: 'bceLogitsTargetGrad',
  outputs: ([z, g]) => scalarGrad('bceLogitsTargetGrad', z!, g!),
  cpu: ([z, g]) => [bceLogitsTargetGradCpu(z!, g![0]!)],
  gpu: (q, ins, outs, [s]) => elementwiseGpu(q, 'loss.bce_logits_target_grad', ins, outs, s!, 1 / shapeSize(s!)),
  backward: TARGET_GRAD,
};

/** dd = -g (1 - α) log softmax(z)/T, the softmax CE gradient w.r.t. dense targets. */
export const ceTargetGrad: OpDef<{ labelSmoothing: number }> = {
  name: 'ceTargetGrad',
  outputs: ([z, g]) => scalarGrad('ceTargetGrad', z!, g!),
  cpu([z, g], [s], { labelSmoothing }) {
    const { rows, cols } = rowView(s!);
    return [ceTargetGradCpu(z!, g![0]!, rows, cols, labelSmoothing)];
  },
  gpu(q, [z, g], [out], [s], { labelSmoothing }) {
    const view = rowView(s!);
    const uniforms = { inv_t: 1 / view.rows, alpha: labelSmoothing, eps: BCE_EPS };
    if (shortRows(view.cols, q.choices.profile.rows)) dispatchRows(q, 'loss.ce_target_grad_short', view, uniforms, { x: z!, g: g!, out: out! });
    else dispatchRows(q, 'loss.ce_target_grad', view, uniforms, { x4: z!, g: g!, out: out! }, { whole_quads: view.cols % 4 === 0 });
  },
  backward: TARGET_GRAD,
};

// ---- the public entry for class-index labels ----------------------------------------------

/** What softmaxCrossEntropyWith needs from the engine: run ops and upload a tensor. */
export interface TensorMaker extends OpRunner {
  tensor(data: ArrayLike<number>, shape: Shape): Tensor;
}

/** Class indices for logits of `shape`, checked on the CPU (length = rows, integers in
 *  [0, K)), as f32 for the GPU (exact below 2^24). */
export function classIndices(op: string, shape: Shape, labels: unknown): Float32Array {
  const { rows, cols } = rowView(shape);
  if (labels === null || typeof labels !== 'object' || typeof (labels as ArrayLike<number>).length !== 'number') {
    throw new Error(`${op}: labels must be an Int32Array of class indices (one per row) or a Tensor of the logits' shape ${fmt(shape)}, got ${String(labels)}`);
  }
  const a = labels as ArrayLike<number>;
  if (a.length !== rows) {
    throw new Error(`${op}: labels has length ${a.length}, expected ${rows} (one class index per row of logits ${fmt(shape)})`);
  }
  if (cols > 2 ** 24) throw new Error(`${op}: ${cols} classes is more than f32 class indices can address exactly (2^24); pass one-hot targets`);
  for (let i = 0; i < a.length; i++) {
    const c = a[i]!;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= cols) {
      const what = typeof c === 'number' && Number.isInteger(c) ? 'is out of range' : 'is not an integer';
      throw new Error(`${op}: label ${String(c)} at index ${i} ${what}; expected an integer class index in [0, ${cols}) for logits ${fmt(shape)}`);
    }
  }
  return Float32Array.from(a);
}

/**
 * softmaxCrossEntropy with labels as class indices (an Int32Array: checked, then uploaded as
 * a [T] tensor owned by the loss) or as a Tensor of target rows. Everything is validated
 * before any GPU work.
 */
export function softmaxCrossEntropyWith(
  e: TensorMaker,
  logits: Tensor,
  labels: Int32Array | Tensor,
  opts: SoftmaxCrossEntropyOptions = {},
): Tensor {
  const op = 'softmaxCrossEntropy';
  if (!(logits instanceof Tensor)) throw new Error(`${op}: logits must be a Tensor, got ${String(logits)}`);
  if (opts === null || typeof opts !== 'object') {
    throw new Error(`${op}: options must be an object such as { labelSmoothing: 0.1 }, got ${String(opts)}`);
  }
  const labelSmoothing = checkLabelSmoothing(op, opts.labelSmoothing ?? 0);
  if (labels instanceof Tensor) return e.run1('softmaxCrossEntropy', [logits, labels], { labelSmoothing, labels: 'dense' });
  const indices = e.tensor(classIndices(op, logits.shape, labels), [rowView(logits.shape).rows]);
  try {
    const loss = e.run1('softmaxCrossEntropy', [logits, indices], { labelSmoothing, labels: 'index' });
    loss.owned.push(indices); // lives (and is disposed) with the loss
    return loss;
  } catch (err) {
    indices.dispose();
    throw err;
  }
}
