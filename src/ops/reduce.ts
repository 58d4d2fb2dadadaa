// Reductions: sum, mean and max over one axis or over everything, and their gradients.
// A tensor is viewed as [outer, len, inner] around the reduced axis, so one kernel serves
// column sums (bias gradients), row reductions and the full reduction of a loss.

import { reduceCpu, reduceGradCpu } from '../cpu/reduce';
import { grid1d, type CommandQueue } from '../gpu/queue';
import { dispatchRows } from '../gpu/rows';
import { nonDifferentiable, type OpDef, type OpRunner } from './op';
import { fmt, sameShape, shapeSize, type Shape, type Tensor } from './tensor';

/** broadcast and max_grad: one invocation per element. */
const WORKGROUP = 64;

export type ReduceKind = 'sum' | 'mean' | 'max';

export interface ReduceAttrs {
  /** undefined: reduce everything to a scalar (shape []). Negative counts from the end. */
  axis?: number;
}

interface View {
  outer: number;
  len: number;
  inner: number;
  out: Shape;
}

function view(op: string, shape: Shape, axis: number | undefined): View {
  const n = shapeSize(shape);
  if (axis === undefined) return { outer: 1, len: n, inner: 1, out: [] };
  const r = shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${fmt(shape)} (expected an integer in [${-r}, ${r - 1}])`);
  }
  const a = axis < 0 ? axis + r : axis;
  return {
    outer: shapeSize(shape.slice(0, a)),
    len: shape[a]!,
    inner: shapeSize(shape.slice(a + 1)),
    out: [...shape.slice(0, a), ...shape.slice(a + 1)],
  };
}

function reduceOp(kind: ReduceKind): OpDef<ReduceAttrs> {
  return {
    name: kind,
    outputs([x], { axis }) {
      const v = view(kind, x!, axis);
      if (kind !== 'sum' && v.len === 0) throw new Error(`${kind}: cannot reduce an empty axis of shape ${fmt(x!)}`);
      return kind === 'max' ? [v.out, v.out] : [v.out];
    },
    cpu([x], [s], { axis }) {
      const { outer, len, inner } = view(kind, s!, axis);
      const r = reduceCpu(x!, outer, len, inner, kind);
      return kind === 'max' ? [r.values, Float64Array.from(r.argmax!)] : [r.values];
    },
    gpu(q, [x], [out, argOut], [s], { axis }) {
      const { outer, len, inner } = view(kind, s!, axis);
      if (kind === 'max') {
        dispatchRows(q, 'reduce.reduce_max', { rows: outer * inner, cols: len }, { outer, len, inner, scale: 1, chunks: 1, chunk: len }, { x: x!, out: out!, arg_out: argOut! }, {}, q.choices.profile.reduce);
        return;
      }
      recordSum(q, x!, out!, { outer, len, inner }, kind === 'mean' ? 1 / len : 1);
    },
    // sum: dx = dy broadcast;  mean: dx = dy / len broadcast;  max: dy routed to the arg-max.
    backward({ ops, inputs: [x], outputs, dy, attrs }) {
      const grad = kind === 'max'
        ? ops.run1('maxGrad', [dy, outputs[1]!], { shape: x!.shape, axis: attrs.axis })
        : ops.run1('broadcastAxis', [dy], { shape: x!.shape, axis: attrs.axis, mean: kind === 'mean' });
      return [grad];
    },
  };
}

/** Records scale · Σ over the middle axis of x viewed as [outer, len, inner] into out (also
 *  the mean over a loss's rows). Few outputs over a long axis: one row of invocations each
 *  would leave the GPU mostly idle, so fixed chunks are reduced first, then the partials
 *  (still a fixed order: deterministic). 16K-element chunks measured best on SwiftShader (1M
 *  sum: 4.5 ms at 4K, 3.6 ms at 16K). */
export function recordSum(q: CommandQueue, x: GPUBuffer, out: GPUBuffer, { outer, len, inner }: { outer: number; len: number; inner: number }, scale: number): void {
  const pass = (src: GPUBuffer, dst: GPUBuffer, n: number, chunks: number, passScale: number) => {
    const chunk = chunks === 1 ? n : Math.ceil(n / chunks / 4) * 4;
    const vec4 = inner === 1 && n % 4 === 0 && chunk % 4 === 0; // contiguous, aligned rows
    dispatchRows(
      q,
      vec4 ? 'reduce.reduce_sum4' : 'reduce.reduce_sum',
      { rows: outer * chunks * inner, cols: vec4 ? chunk / 4 : chunk },
      { outer, len: n, inner, scale: passScale, chunks, chunk },
      vec4 ? { x4: src, out: dst } : { x: src, out: dst },
      {},
      q.choices.profile.reduce,
    );
  };
  let chunks = outer * inner < 32 && len >= 8192 ? Math.min(256, Math.ceil(len / 16384)) : 1;
  if (chunks > 1) chunks = Math.ceil(len / (Math.ceil(len / chunks / 4) * 4)); // no empty chunk
  if (chunks === 1) return pass(x, out, len, 1, scale);
  const partial = q.scratch(outer * chunks * inner * 4);
  pass(x, partial, len, chunks, 1);
  pass(partial, out, chunks, 1, scale);
}

export const sum = reduceOp('sum');
export const mean = reduceOp('mean');
export const max = reduceOp('max');

export interface SpreadAttrs {
  shape: Shape;
  axis?: number;
}

/** dx[o, k, i] = dy[o, i] (· 1/len for a mean): the gradient of sum and mean. */
export const broadcastAxis: OpDef<SpreadAttrs & { mean: boolean }> = {
  name: 'broadcastAxis',
  outputs([dy], { shape, axis }) {
    const v = view('broadcastAxis', shape, axis);
    if (shapeSize(dy!) !== shapeSize(v.out)) throw new Error(`broadcastAxis: dy ${fmt(dy!)} does not match the reduced shape ${fmt(v.out)}`);
    return [shape];
  },
  cpu([dy], _s, { shape, axis, mean }) {
    const { outer, len, inner } = view('broadcastAxis', shape, axis);
    return [reduceGradCpu(mean ? 'mean' : 'sum', dy!, outer, len, inner)];
  },
  gpu(q, [dy], [out], _s, { shape, axis, mean }) {
    const { outer, len, inner } = view('broadcastAxis', shape, axis);
    q.dispatch({
      kernel: 'reduce.broadcast',
      overrides: { workgroup_size: WORKGROUP },
      uniforms: { outer, len, inner, scale: mean ? 1 / len : 1, chunks: 1, chunk: len, rows: 0, cols: 0 },
      bindings: { dy: dy!, out: out! },
      workgroups: grid1d(outer * len * inner, WORKGROUP),
    });
  },
  // linear: its transpose is the sum (or mean-scaled sum) over the same axis
  backward: ({ ops, dy, attrs }) => [ops.run1(attrs.mean ? 'mean' : 'sum', [dy], { axis: attrs.axis })],
};

/** dx[o, k, i] = dy[o, i] where k is the arg-max, else 0: the subgradient of max. */
export const maxGrad: OpDef<SpreadAttrs> = {
  name: 'maxGrad',
  outputs: (_s, { shape }) => [shape],
  cpu([dy, arg], _s, { shape, axis }) {
    const { outer, len, inner } = view('maxGrad', shape, axis);
    return [reduceGradCpu('max', dy!, outer, len, inner, Int32Array.from(arg!))];
  },
  gpu(q, [dy, arg], [out], _s, { shape, axis }) {
    const { outer, len, inner } = view('maxGrad', shape, axis);
    q.dispatch({
      kernel: 'reduce.max_grad',
      overrides: { workgroup_size: WORKGROUP },
      uniforms: { outer, len, inner, scale: 1, chunks: 1, chunk: len, rows: 0, cols: 0 },
      bindings: { dy: dy!, arg: arg!, out: out! },
      workgroups: grid1d(outer * len * inner, WORKGROUP),
    });
  },
  backward: nonDifferentiable('maxGrad is the backward kernel of max; second derivatives are not supported'),
};

/**
 * Sums a broadcast gradient g back to `shape`, which broadcasts to g's shape (NumPy): over
 * g's leading dims that `shape` lacks and over the dims where `shape` has a 1 that g
 * stretched; g itself when the shapes already match, a view when only the shape differs.
 * Neighbouring dims of one kind are merged first (views), so each run of summed dims is one
 * single-axis sum ([M, N] -> [N] is one column sum).
 */
export function sumToShape(ops: OpRunner, g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  if (shapeSize(g.shape) === shapeSize(shape)) return ops.run1('reshape', [g], { shape });
  const lead = g.shape.length - shape.length;
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
    if (runs[k]!.summed) x = ops.run1('sum', [x], { axis: k }); // innermost first: outer axes keep their index
  }
  return ops.run1('reshape', [x], { shape });
}
