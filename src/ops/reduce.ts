// Reductions: sum, mean, max, min, logSumExp and variance over any set of axes, with
// keepDims; their gradients; argMax/argMin; sumToShape (the backward of NumPy broadcasting).
//
// The kernels (shaders/reduce.wgsl) reduce the middle axis of a [outer, len, inner] view. A set
// of axes that is adjacent once size-1 axes are ignored is such a view as it is (one axis, the
// trailing axes, everything, [1, 2] of [N, C, H, W]); for any other set runReduce first
// transposes the reduced axes to the end (one strided copy), and the transpose's own backward
// brings the gradient back. So each op below takes an adjacent set and the tape composes.

import { reduceCpu, reduceGradCpu, type ReduceKind } from '../cpu/reduce';
import type { KernelName, Overrides } from '../gpu/kernels';
import { grid1d, type CommandQueue } from '../gpu/queue';
import type { ReducePolicy } from '../gpu/profile';
import { nonDifferentiable, type OpDef, type OpRunner } from './op';
import { normalizeAxis } from './shape';
import { fmt, sameShape, shapeSize, type Shape, type Tensor } from './tensor';

export const REDUCE_WORKGROUP = 64;
const WORKGROUP = REDUCE_WORKGROUP;
/** Elements each lane folds before another lane joins an output's tree. */
const ELEMENTS_PER_LANE = 16;

/** How the reduce_* kernels lay out outputs and lanes (see reduceLayout). */
export interface ReduceLayout {
  workgroup: number;
  /** Invocations per output (a power of two dividing workgroup). */
  lanes: number;
  /** Neighbouring invocations take neighbouring outputs (else neighbouring lanes of one). */
  outputsAdjacent: boolean;
}

/**
 * How the reduce_* kernels split `outputs` reductions of `len` elements each, `inner` apart in
 * memory (1: each output's elements are contiguous), under the profile's ReducePolicy
 * (src/gpu/profile.ts). Lanes double while each would still fold ELEMENTS_PER_LANE elements,
 * up to policy.maxLanes (narrow on a software adapter, whose barriers cost per invocation);
 * the workgroup holds maxLanes invocations, so short axes share it among several outputs.
 * When the elements of neighbouring outputs are neighbours in memory (inner > 1), neighbouring
 * invocations take neighbouring outputs (coalesced loads), and with enough outputs to fill
 * the device (policy.serialOutputs) each folds its own serially. One lane needs no tree and
 * no barrier, so its workgroup holds many outputs. (A [2, 120027] sum over axis 0 took 3.6 s
 * on SwiftShader with one 8-invocation workgroup per output; it takes milliseconds this way.)
 */
export function reduceLayout(len: number, outputs: number, inner: number, policy: ReducePolicy): ReduceLayout {
  const outputsAdjacent = inner > 1;
  const serial = (outputsAdjacent || policy.serialRows) && outputs >= policy.serialOutputs;
  let lanes = 1;
  while (!serial && lanes < policy.maxLanes && lanes * 2 * ELEMENTS_PER_LANE <= len) lanes *= 2;
  return { workgroup: lanes === 1 ? WORKGROUP : policy.maxLanes, lanes, outputsAdjacent };
}

/** Records a reduce_* entry point; an output's lanes combine on subgroups (the
 *  reduce_subgroups family) where the policy and device allow it and they are neighbours. */
function reduceDispatch(q: CommandQueue, kernel: `reduce.${string}`, perOutput: number, outputs: number, inner: number, uniforms: Record<string, number>, bindings: Record<string, GPUBuffer>, overrides: Overrides = {}): void {
  const policy = q.choices.profile.reduce;
  const { workgroup, lanes, outputsAdjacent } = reduceLayout(perOutput, outputs, inner, policy);
  const subgroups = lanes > 1 && !outputsAdjacent && policy.subgroups ? q.choices.subgroupRows(lanes) : null;
  q.dispatch({
    kernel: subgroups ? (kernel.replace('reduce.', 'reduce_subgroups.') as KernelName) : kernel,
    overrides: { workgroup_size: workgroup, lanes, outputs_adjacent: outputsAdjacent, ...(subgroups ? { lanes_in_subgroup: subgroups === 'butterfly' } : {}), ...overrides },
    uniforms,
    bindings,
    workgroups: grid1d(outputs, workgroup / lanes),
  });
  const variant = lanes === 1 ? 'serial' : subgroups ? `subgroup ${subgroups}` : 'workgroup tree';
  q.choices.note('reduce', { variant, lanes, outputsPerGroup: workgroup / lanes, outputsAdjacent });
}

export type { ReduceKind };

export interface ReduceAttrs {
  /** Sorted, distinct, in [0, rank), adjacent once axes of size 1 are ignored. */
  axes: readonly number[];
  keepDims: boolean;
}

/** Options of the reductions (sum, mean, max, min, logSumExp, variance). */
export interface ReduceOptions {
  /** Keep each reduced axis as a dimension of size 1 (default false). */
  keepDims?: boolean;
}

interface View {
  outer: number;
  len: number;
  inner: number;
}

/** The [outer, len, inner] view reducing `axes`, or null when they are not adjacent. */
function adjacentView(shape: Shape, axes: readonly number[]): View | null {
  const big = axes.filter((a) => shape[a] !== 1);
  if (big.length === 0) return { outer: shapeSize(shape), len: 1, inner: 1 };
  const [first, last] = [big[0]!, big.at(-1)!];
  for (let k = first; k <= last; k++) if (shape[k] !== 1 && !axes.includes(k)) return null;
  return { outer: shapeSize(shape.slice(0, first)), len: shapeSize(shape.slice(first, last + 1)), inner: shapeSize(shape.slice(last + 1)) };
}

function reducedShape(shape: Shape, { axes, keepDims }: ReduceAttrs): Shape {
  return keepDims ? shape.map((d, k) => (axes.includes(k) ? 1 : d)) : shape.filter((_, k) => !axes.includes(k));
}

function viewOf(op: string, shape: Shape, axes: readonly number[]): View {
  const valid = axes.every((a, k) => Number.isInteger(a) && a >= 0 && a < shape.length && (k === 0 || a > axes[k - 1]!));
  const v = valid ? adjacentView(shape, axes) : null;
  if (!v) throw new Error(`${op}: axes [${axes.join(', ')}] of ${fmt(shape)} must be sorted, distinct and adjacent (runReduce transposes other sets)`);
  return v;
}

function reduceOp(kind: ReduceKind): OpDef<ReduceAttrs> {
  const withAux = kind === 'max' || kind === 'min' || kind === 'variance'; // arg, arg, mean
  return {
    name: kind,
    outputs([x], attrs) {
      const v = viewOf(kind, x!, attrs.axes);
      if (kind !== 'sum' && kind !== 'mean' && v.len === 0) throw new Error(`${kind}: cannot reduce an empty axis of shape ${fmt(x!)}`);
      const out = reducedShape(x!, attrs);
      return withAux ? [out, out] : [out];
    },
    cpu([x], [s], { axes }) {
      const { outer, len, inner } = viewOf(kind, s!, axes);
      const r = reduceCpu(x!, outer, len, inner, kind);
      if (r.arg) return [r.values, Float64Array.from(r.arg)];
      return r.center ? [r.values, r.center] : [r.values];
    },
    gpu(q, [x], [out, auxOut], [s], { axes }) {
      const v = viewOf(kind, s!, axes);
      if (kind === 'sum' || kind === 'mean') return recordSum(q, x!, out!, v, kind === 'mean' ? 1 / v.len : 1);
      const entry = kind === 'logSumExp' ? 'reduce.reduce_logsumexp' : kind === 'variance' ? 'reduce.reduce_variance' : 'reduce.reduce_max';
      reduceDispatch(q, entry, v.len, v.outer * v.inner, v.inner, { ...v, scale: 1 / v.len, chunks: 1, chunk: v.len },
        kind === 'logSumExp' ? { x: x!, out: out! } : { x: x!, out: out!, aux_out: auxOut! },
        entry === 'reduce.reduce_max' ? { minimum: kind === 'min' } : {});
    },
    // sum: dx = dy broadcast;  mean: dx = dy / n;  max, min: dy to the first arg-extremum;
    // logSumExp: dx = dy · softmax(x) = dy · exp(x − out);  variance: dx = dy · 2 (x − mean) / n
    backward({ ops, inputs: [x], outputs: [y, aux], dy, attrs: { axes } }) {
      const shape = x!.shape;
      if (kind === 'sum' || kind === 'mean') return [ops.run1('broadcastAxis', [dy], { shape, axes, mean: kind === 'mean' })];
      if (kind === 'max' || kind === 'min') return [ops.run1('maxGrad', [dy, aux!], { shape, axes })];
      return [ops.run1('centeredGrad', [x!, kind === 'logSumExp' ? y! : aux!, dy], { axes, kind })];
    },
  };
}

/** Records scale · Σ over the middle axis of x viewed as [outer, len, inner] into out (also
 *  the mean over a loss's rows): one pass, or two when a long axis has few outputs. */
export function recordSum(q: CommandQueue, x: GPUBuffer, out: GPUBuffer, { outer, len, inner }: View, scale: number): void {
  const sumPass = (src: GPUBuffer, dst: GPUBuffer, n: number, chunks: number, passScale: number) => {
    const chunk = chunks === 1 ? n : Math.ceil(n / chunks / 4) * 4;
    if (chunks === 1 && inner % 4 === 0 && reduceLayout(n, outer * inner, inner, q.choices.profile.reduce).lanes === 1) {
      q.dispatch({
        kernel: 'reduce.reduce_sum_cols4',
        overrides: { workgroup_size: WORKGROUP },
        uniforms: { outer, len: n, inner, scale: passScale, chunks, chunk },
        bindings: { x4: src, out: dst },
        workgroups: grid1d(outer * inner / 4, WORKGROUP),
      });
      return;
    }
    const vec4 = inner === 1 && n % 4 === 0 && chunk % 4 === 0; // contiguous, aligned rows
    // a vec4 lane folds 4 elements per load
    reduceDispatch(q, vec4 ? 'reduce.reduce_sum4' : 'reduce.reduce_sum', vec4 ? chunk / 4 : chunk, outer * chunks * inner, inner,
      { outer, len: n, inner, scale: passScale, chunks, chunk }, vec4 ? { x4: src, out: dst } : { x: src, out: dst });
  };
  // Few outputs over a long axis: one workgroup each would leave the GPU mostly idle, so
  // reduce fixed chunks first, then the partials (still a fixed order: deterministic).
  // 16K-element chunks measured best on SwiftShader (1M sum: 4.5 ms at 4K, 3.6 ms at 16K).
  let chunks = outer * inner < 32 && len >= 8192 ? Math.min(256, Math.ceil(len / 16384)) : 1;
  if (chunks > 1) chunks = Math.ceil(len / (Math.ceil(len / chunks / 4) * 4)); // no empty chunk
  if (chunks === 1) return sumPass(x, out, len, 1, scale);
  const partial = q.scratch(outer * chunks * inner * 4);
  sumPass(x, partial, len, chunks, 1);
  sumPass(partial, out, chunks, 1, scale);
}

export const sum = reduceOp('sum');
export const mean = reduceOp('mean');
export const max = reduceOp('max');
export const min = reduceOp('min');
export const logSumExp = reduceOp('logSumExp');
export const variance = reduceOp('variance');

function gradDispatch(q: CommandQueue, kernel: 'reduce.broadcast' | 'reduce.max_grad' | 'reduce.centered_grad', v: View, scale: number, bindings: Record<string, GPUBuffer>, overrides = {}): void {
  q.dispatch({
    kernel,
    overrides: { workgroup_size: WORKGROUP, ...overrides },
    uniforms: { ...v, scale, chunks: 1, chunk: v.len },
    bindings,
    workgroups: grid1d(v.outer * v.len * v.inner, WORKGROUP),
  });
}

export interface SpreadAttrs {
  /** The reduced input's shape. */
  shape: Shape;
  axes: readonly number[];
}

/** dx[o, k, i] = dy[o, i] (· 1/len for a mean): the gradient of sum and mean. */
export const broadcastAxis: OpDef<SpreadAttrs & { mean: boolean }> = {
  name: 'broadcastAxis',
  outputs([dy], { shape, axes }) {
    const v = viewOf('broadcastAxis', shape, axes);
    if (shapeSize(dy!) !== v.outer * v.inner) throw new Error(`broadcastAxis: dy ${fmt(dy!)} does not match ${fmt(shape)} reduced over [${axes.join(', ')}]`);
    return [shape];
  },
  cpu([dy], _s, { shape, axes, mean: isMean }) {
    const { outer, len, inner } = viewOf('broadcastAxis', shape, axes);
    return [reduceGradCpu(isMean ? 'mean' : 'sum', dy!, outer, len, inner)];
  },
  gpu(q, [dy], [out], _s, { shape, axes, mean: isMean }) {
    const v = viewOf('broadcastAxis', shape, axes);
    gradDispatch(q, 'reduce.broadcast', v, isMean ? 1 / v.len : 1, { dy: dy!, out: out! });
  },
  // linear: its transpose is the sum (or mean-scaled sum) over the same axes
  backward: ({ ops, dy, attrs }) => [ops.run1(attrs.mean ? 'mean' : 'sum', [dy], { axes: attrs.axes, keepDims: false })],
};

/** dx[o, k, i] = dy[o, i] where k is the arg-max (arg-min), else 0: the subgradient of max, min. */
export const maxGrad: OpDef<SpreadAttrs> = {
  name: 'maxGrad',
  outputs: (_s, { shape }) => [shape],
  cpu([dy, arg], _s, { shape, axes }) {
    const { outer, len, inner } = viewOf('maxGrad', shape, axes);
    return [reduceGradCpu('max', dy!, outer, len, inner, { arg: Int32Array.from(arg!) })];
  },
  gpu(q, [dy, arg], [out], _s, { shape, axes }) {
    gradDispatch(q, 'reduce.max_grad', viewOf('maxGrad', shape, axes), 1, { dy: dy!, aux: arg!, out: out! });
  },
  backward: nonDifferentiable('maxGrad is the backward kernel of max and min; second derivatives are not supported'),
};

/** The gradients of logSumExp (dy · exp(x − lse), 0 where x = −inf) and of variance
 *  (dy · 2 (x − mean) / n); inputs [x, lse or mean, dy]. */
export const centeredGrad: OpDef<{ axes: readonly number[]; kind: 'logSumExp' | 'variance' }> = {
  name: 'centeredGrad',
  outputs: ([x]) => [x!],
  cpu([x, center, dy], [s], { axes, kind }) {
    const { outer, len, inner } = viewOf('centeredGrad', s!, axes);
    return [reduceGradCpu(kind, dy!, outer, len, inner, { x: x!, center: center! })];
  },
  gpu(q, [x, center, dy], [out], [s], { axes, kind }) {
    const v = viewOf('centeredGrad', s!, axes);
    gradDispatch(q, 'reduce.centered_grad', v, 1 / v.len, { x: x!, aux: center!, dy: dy!, out: out! }, { centered: kind === 'variance' ? 1 : 0 });
  },
  backward: nonDifferentiable('centeredGrad is the backward kernel of logSumExp and variance; second derivatives are not supported'),
};

/** axis (a number, an array, or undefined = all) as sorted distinct axes in [0, rank). */
export function normalizeAxes(op: string, shape: Shape, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return shape.map((_, k) => k);
  const list = typeof axis === 'number' ? [axis] : Array.isArray(axis) ? (axis as unknown[]) : null;
  if (list === null) throw new Error(`${op}: axis must be a number, an array of numbers or undefined, got ${String(axis)}`);
  const axes = list.map((a) => normalizeAxis(op, a, shape)).sort((a, b) => a - b);
  if (axes.some((a, k) => k > 0 && a === axes[k - 1])) throw new Error(`${op}: axis [${list.join(', ')}] names an axis twice for shape ${fmt(shape)}`);
  return axes;
}

/** op over `axis` (see normalizeAxes) of x: directly when the axes are adjacent, else after
 *  transposing them to the end. */
export function runReduce(ops: OpRunner, op: ReduceKind, x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  if (opts === null || typeof opts !== 'object') throw new Error(`${op}: options must be an object such as { keepDims: true }, got ${String(opts)}`);
  const keepDims = opts.keepDims ?? false;
  if (typeof keepDims !== 'boolean') throw new Error(`${op}: keepDims must be a boolean, got ${String(keepDims)}`);
  const axes = normalizeAxes(op, x.shape, axis);
  if (adjacentView(x.shape, axes)) return ops.run1(op, [x], { axes, keepDims });
  const kept = x.shape.map((_, k) => k).filter((k) => !axes.includes(k));
  const moved = ops.run1('transpose', [x], { perm: [...kept, ...axes] });
  const trailing = axes.map((_, k) => kept.length + k);
  try {
    const r = ops.run1(op, [moved], { axes: trailing, keepDims: false });
    if (!keepDims) return r;
    const kd = ops.run1('reshape', [r], { shape: reducedShape(x.shape, { axes, keepDims }) });
    r.dispose();
    return kd;
  } finally {
    moved.dispose(); // kept until backward is done if the tape holds it
  }
}

/** The index of the first maximum (minimum) along one axis, as f32 values (exact below 2^24). */
export function runArgExtremum(ops: OpRunner, op: 'max' | 'min', x: Tensor, axis: number): Tensor {
  const name = op === 'max' ? 'argMax' : 'argMin';
  const a = normalizeAxis(name, axis, x.shape);
  if (x.shape[a] === 0) throw new Error(`${name}: axis ${a} of ${fmt(x.shape)} is empty: there is no index to return`);
  const [values, indices] = ops.run(op, [x], { axes: [a], keepDims: false });
  values!.owned.splice(values!.owned.indexOf(indices!), 1);
  values!.dispose();
  return indices!;
}

/**
 * The backward of NumPy broadcasting: sums g back to `shape`, which broadcasts to g's shape,
 * over g's leading dims that `shape` lacks and over the dims where `shape` has a 1 that g
 * stretched. g itself when the shapes already match, a view when only the shape differs.
 * Neighbouring dims of one kind are merged first (views), so each run of summed dims is one
 * adjacent sum, innermost first, and no transpose is needed ([M, N] -> [N] is one column sum).
 */
export function sumToShape(ops: OpRunner, g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  if (lead < 0 ? shapeSize(shape) !== 1 : !shape.every((d, k) => d === 1 || d === g.shape[lead + k])) {
    throw new Error(`sumToShape: a gradient of shape ${fmt(g.shape)} does not sum to ${fmt(shape)} under NumPy broadcasting`);
  }
  if (shapeSize(g.shape) === shapeSize(shape)) return ops.run1('reshape', [g], { shape });
  const runs: { size: number; summed: boolean }[] = [];
  g.shape.forEach((n, k) => {
    if (n === 1) return;
    const summed = k < lead || shape[k - lead] === 1;
    const last = runs.at(-1);
    if (last && last.summed === summed) last.size *= n;
    else runs.push({ size: n, summed });
  });
  let x = ops.run1('reshape', [g], { shape: runs.map((r) => r.size) });
  for (let k = runs.length - 1; k >= 0; k--) {
    if (runs[k]!.summed) x = ops.run1('sum', [x], { axes: [k], keepDims: false }); // innermost first: outer axes keep their index
  }
  return ops.run1('reshape', [x], { shape });
}
