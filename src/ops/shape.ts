// Shape ops. reshape is a view: the result shares its input's storage (no copy, no dispatch;
// the storage is freed when the last tensor on it is disposed); expandDims and squeeze are
// reshapes. copy is the explicit copy, for where a result must not alias its source
// (valueAndGrad's hand-outs). transpose, slice, pad, concat and stack are copies through the
// one strided-copy kernel (src/ops/copy.ts, shaders/copy.wgsl).
// Each op takes normalized attributes (axes in [0, rank), sizes resolved) and its shape rule
// checks them; the run* functions below turn the public API's arguments (negative axes,
// size -1, defaults) into those attributes, with errors that name the op and the shapes.

import { concatCpu, padCpu, sliceCpu, transposeCpu } from '../cpu/shape';
import type { CommandQueue } from '../gpu/queue';
import { plainAxis, stridedCopy, stridesOf } from './copy';
import type { NoAttrs, OpDef, OpRunner } from './op';
import { checkShape, fmt, sameShape, shapeSize, Tensor, type Shape } from './tensor';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** axis in [-rank, rank) as an index in [0, rank); an error naming the op and shape otherwise. */
export function normalizeAxis(op: string, axis: unknown, shape: Shape, rank = shape.length): number {
  if (!isInt(axis) || axis < -rank || axis >= rank) {
    const shown = typeof axis === 'string' ? `'${axis}'` : Array.isArray(axis) ? `[${axis.join(', ')}]` : String(axis);
    throw new Error(`${op}: axis ${shown} ${isInt(axis) ? 'is out of range' : 'is not an integer'} for shape ${fmt(shape)} (expected an integer in [${-rank}, ${rank - 1}])`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** The same values under a new shape of the same size. */
export const reshape: OpDef<{ shape: Shape }> = {
  name: 'reshape',
  view: true,
  outputs([x], { shape }) {
    checkShape('reshape', shape);
    if (shapeSize(x!) !== shapeSize(shape)) throw new Error(`reshape: cannot reshape ${fmt(x!)} (${shapeSize(x!)} elements) to ${fmt(shape)} (${shapeSize(shape)} elements)`);
    return [shape];
  },
  // d(reshape(x, s)) = reshape(dy, shape of x)
  backward: ({ ops, inputs: [x], dy }) => [ops.run1('reshape', [dy], { shape: x!.shape })],
};

/** out = x, in a new storage. */
export const copy: OpDef<NoAttrs> = {
  name: 'copy',
  outputs: ([x]) => [x!],
  cpu: ([x]) => [x!.slice()],
  gpu(q, [x], [out], [s]) {
    q.copy(x!, out!, shapeSize(s!) * 4);
  },
  // d(copy x) = dy
  backward: ({ dy }) => [dy],
};

// ---- transpose ------------------------------------------------------------------------------

export interface TransposeAttrs {
  perm: readonly number[];
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, d) => (inv[p] = d));
  return inv;
}

/** out.shape[d] = x.shape[perm[d]]; out[c] = x[c permuted back]. */
export const transpose: OpDef<TransposeAttrs> = {
  name: 'transpose',
  outputs([x], { perm }) {
    const seen = new Set(perm);
    if (perm.length !== x!.length || seen.size !== perm.length || !perm.every((p) => isInt(p) && p >= 0 && p < x!.length)) {
      throw new Error(`transpose: perm [${perm.join(', ')}] is not a permutation of the ${x!.length} axes of ${fmt(x!)}`);
    }
    return [perm.map((p) => x![p]!)];
  },
  cpu: ([x], [s], { perm }) => [transposeCpu(x!, s!, perm)],
  gpu(q, [x], [out], [s], { perm }) {
    const [xs, os] = [stridesOf(s!), stridesOf(perm.map((p) => s![p]!))];
    stridedCopy(q, 'transpose', x!, out!, { axes: perm.map((p, d) => plainAxis(s![p]!, xs[p]!, os[d]!)), inOffset: 0, outOffset: 0 });
  },
  // a permutation's transpose is its inverse: dx = transpose(dy, perm⁻¹)
  backward: ({ ops, dy, attrs }) => [ops.run1('transpose', [dy], { perm: inversePerm(attrs.perm) })],
};

/** transpose(x, perm?): perm defaults to the reversed axes; negative entries count from the end.
 *  A permutation that moves only axes of size 1 is a reshape (a view). */
export function runTranspose(ops: OpRunner, x: Tensor, perm?: readonly number[]): Tensor {
  const r = x.shape.length;
  if (perm !== undefined && !Array.isArray(perm)) throw new Error(`transpose: perm must be an array of axes, got ${String(perm)}`);
  const p = perm === undefined ? x.shape.map((_, d) => r - 1 - d) : perm.map((a) => (isInt(a) && a < 0 ? a + r : a));
  const out = transpose.outputs([x.shape], { perm: p })[0]!;
  const moved = p.filter((a) => x.shape[a] !== 1);
  if (moved.every((a, k) => k === 0 || moved[k - 1]! < a)) return ops.run1('reshape', [x], { shape: out });
  return ops.run1('transpose', [x], { perm: p });
}

// ---- slice and pad ----------------------------------------------------------------------------

export interface SliceAttrs {
  begin: readonly number[];
  size: readonly number[];
}

/** pad's argument: one [before, after] pair of zero counts per axis. */
export type Paddings = readonly (readonly [number, number])[];

/** out[c] = x[begin + c], out.shape = size. */
export const slice: OpDef<SliceAttrs> = {
  name: 'slice',
  outputs([x], { begin, size }) {
    const ok = begin.length === x!.length && size.length === x!.length &&
      x!.every((d, k) => isInt(begin[k]) && isInt(size[k]) && begin[k]! >= 0 && size[k]! >= 0 && begin[k]! + size[k]! <= d);
    if (!ok) {
      throw new Error(`slice: begin [${begin.join(', ')}] and size [${size.join(', ')}] do not fit in ${fmt(x!)} (expected 0 <= begin, 0 <= size, begin + size <= dim on every axis)`);
    }
    return [size];
  },
  cpu: ([x], [s], { begin, size }) => [sliceCpu(x!, s!, begin, size)],
  gpu(q, [x], [out], [s], { begin, size }) {
    const [xs, os] = [stridesOf(s!), stridesOf(size)];
    const inOffset = begin.reduce((acc, b, d) => acc + b * xs[d]!, 0);
    stridedCopy(q, 'slice', x!, out!, { axes: size.map((n, d) => plainAxis(n, xs[d]!, os[d]!)), inOffset, outOffset: 0 });
  },
  // dx = dy placed at begin in zeros: a pad by (begin, dim − begin − size)
  backward: ({ ops, inputs: [x], dy, attrs: { begin, size } }) => [
    ops.run1('pad', [dy], { paddings: x!.shape.map((d, k) => [begin[k]!, d - begin[k]! - size[k]!] as const) }),
  ],
};

/** slice(x, begin, size), as TF.js: a number or a short array covers the leading axes (the rest
 *  start at 0 and run to the end); size -1 runs to the end of its axis. */
export function runSlice(ops: OpRunner, x: Tensor, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const r = x.shape.length;
  const list = (v: unknown, fill: number, what: string): number[] => {
    const a = v === undefined ? [] : typeof v === 'number' ? [v] : Array.isArray(v) ? [...(v as number[])] : null;
    if (a === null || a.length > r) throw new Error(`slice: ${what} must be a number or an array of at most ${r} numbers for ${fmt(x.shape)}, got ${String(v)}`);
    while (a.length < r) a.push(fill);
    return a;
  };
  const b = list(begin, 0, 'begin');
  const s = list(size, -1, 'size').map((n, k) => (n === -1 && isInt(b[k]) ? x.shape[k]! - b[k]! : n));
  slice.outputs([x.shape], { begin: b, size: s });
  if (sameShape(s, x.shape)) return ops.run1('reshape', [x], { shape: x.shape });
  return ops.run1('slice', [x], { begin: b, size: s });
}

/** out[c] = x[c − before] inside, 0 elsewhere; out.shape = before + x.shape + after. */
export const pad: OpDef<{ paddings: Paddings }> = {
  name: 'pad',
  outputs([x], { paddings }) {
    const ok = Array.isArray(paddings) && paddings.length === x!.length &&
      paddings.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => isInt(n) && n >= 0));
    if (!ok) {
      throw new Error(`pad: paddings ${JSON.stringify(paddings)} must be one [before, after] pair of non-negative integers per axis of ${fmt(x!)}`);
    }
    return [x!.map((d, k) => paddings[k]![0] + d + paddings[k]![1])];
  },
  cpu: ([x], [s], { paddings }) => [padCpu(x!, s!, paddings)],
  gpu(q, [x], [out], [s], { paddings }) {
    const outShape = s!.map((d, k) => paddings[k]![0] + d + paddings[k]![1]);
    const [xs, os] = [stridesOf(s!), stridesOf(outShape)];
    const axes = outShape.map((n, d) => ({ size: n, inStride: xs[d]!, outStride: os[d]!, lo: paddings[d]![0], hi: paddings[d]![0] + s![d]! }));
    stridedCopy(q, 'pad', x!, out!, { axes, inOffset: 0, outOffset: 0 });
  },
  // dx = the window of dy where x sits: a slice at before of x's shape
  backward: ({ ops, inputs: [x], dy, attrs }) => [ops.run1('slice', [dy], { begin: attrs.paddings.map((p) => p[0]), size: x!.shape })],
};

// ---- concat and stack -------------------------------------------------------------------------

/** The inputs joined along `axis`; each input is one strided copy into its block of out. */
function joinGpu(q: CommandQueue, op: string, ins: GPUBuffer[], out: GPUBuffer, shapes: readonly Shape[], axis: number): void {
  const total = shapes.reduce((n, s) => n + s[axis]!, 0);
  const os = stridesOf(shapes[0]!.map((d, k) => (k === axis ? total : d)));
  let start = 0;
  ins.forEach((x, k) => {
    const s = shapes[k]!;
    const xs = stridesOf(s);
    stridedCopy(q, op, x, out, { axes: s.map((n, d) => plainAxis(n, xs[d]!, os[d]!)), inOffset: 0, outOffset: start * os[axis]! });
    start += s[axis]!;
  });
}

/** The blocks of dy that each input became: dx_k = slice(dy, start_k along axis, shape_k). */
function joinBackward(ops: OpRunner, dy: Tensor, shapes: readonly Shape[], axis: number, needsGrad: readonly boolean[]): (Tensor | null)[] {
  let start = 0;
  return shapes.map((s, k) => {
    const begin = s.map((_, d) => (d === axis ? start : 0));
    start += s[axis]!;
    return needsGrad[k] ? ops.run1('slice', [dy], { begin, size: s }) : null;
  });
}

function checkJoin(op: string, shapes: readonly Shape[], axis: number): void {
  const first = shapes[0];
  if (!first) throw new Error(`${op}: needs at least one tensor`);
  if (!isInt(axis) || axis < 0 || axis >= first.length) throw new Error(`${op}: axis ${axis} is out of range for ${fmt(first)}`);
  shapes.forEach((s, k) => {
    if (s.length !== first.length || s.some((d, a) => a !== axis && d !== first[a])) {
      throw new Error(`${op}: tensor ${k} has shape ${fmt(s)}, tensor 0 has ${fmt(first)}; all dims except axis ${axis} must match`);
    }
  });
}

/** xs joined along axis (shapes equal except on axis). */
export const concat: OpDef<{ axis: number }> = {
  name: 'concat',
  outputs(shapes, { axis }) {
    checkJoin('concat', shapes, axis);
    return [shapes[0]!.map((d, k) => (k === axis ? shapes.reduce((n, s) => n + s[axis]!, 0) : d))];
  },
  cpu: (xs, shapes, { axis }) => [concatCpu(xs, shapes, axis)],
  gpu: (q, ins, [out], shapes, { axis }) => joinGpu(q, 'concat', ins, out!, shapes, axis),
  // d(concat) = the slices of dy
  backward: ({ ops, inputs, dy, attrs, needsGrad }) => joinBackward(ops, dy, inputs.map((t) => t.shape), attrs.axis, needsGrad),
};

const withUnitAxis = (s: Shape, axis: number): Shape => [...s.slice(0, axis), 1, ...s.slice(axis)];

/** xs (equal shapes) joined along a new axis at `axis` of the result. */
export const stack: OpDef<{ axis: number }> = {
  name: 'stack',
  outputs(shapes, { axis }) {
    const first = shapes[0];
    if (!first) throw new Error('stack: needs at least one tensor');
    shapes.forEach((s, k) => {
      if (!sameShape(s, first)) throw new Error(`stack: tensor ${k} has shape ${fmt(s)}, tensor 0 has ${fmt(first)}; all shapes must be equal`);
    });
    if (!isInt(axis) || axis < 0 || axis > first.length) throw new Error(`stack: axis ${axis} is out of range for a result of rank ${first.length + 1}`);
    return [[...first.slice(0, axis), shapes.length, ...first.slice(axis)]];
  },
  cpu: (xs, shapes, { axis }) => [concatCpu(xs, shapes.map((s) => withUnitAxis(s, axis)), axis)],
  gpu: (q, ins, [out], shapes, { axis }) => joinGpu(q, 'stack', ins, out!, shapes.map((s) => withUnitAxis(s, axis)), axis),
  // d(stack) = the slices of dy along axis, each squeezed back to its input's shape
  backward: ({ ops, inputs, dy, attrs: { axis }, needsGrad }) =>
    joinBackward(ops, dy, inputs.map((t) => withUnitAxis(t.shape, axis)), axis, needsGrad).map((g, k) => (g ? ops.run1('reshape', [g], { shape: inputs[k]!.shape }) : null)),
};

function tensorList(op: string, xs: unknown): Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0 || !xs.every((t) => t instanceof Tensor)) {
    throw new Error(`${op}: expected a non-empty array of tensors, got ${Array.isArray(xs) ? `an array of ${xs.length}` : String(xs)}`);
  }
  return xs as Tensor[];
}

export function runConcat(ops: OpRunner, xs: readonly Tensor[], axis: number): Tensor {
  const list = tensorList('concat', xs);
  const a = normalizeAxis('concat', axis, list[0]!.shape);
  if (list.length === 1) return ops.run1('reshape', [list[0]!], { shape: list[0]!.shape });
  return ops.run1('concat', list, { axis: a });
}

export function runStack(ops: OpRunner, xs: readonly Tensor[], axis: number): Tensor {
  const list = tensorList('stack', xs);
  return ops.run1('stack', list, { axis: normalizeAxis('stack', axis, list[0]!.shape, list[0]!.shape.length + 1) });
}

// ---- pad, expandDims, squeeze ------------------------------------------------------------------

export function runPad(ops: OpRunner, x: Tensor, paddings: Paddings): Tensor {
  pad.outputs([x.shape], { paddings });
  if (paddings.every(([b, a]) => b === 0 && a === 0)) return ops.run1('reshape', [x], { shape: x.shape });
  return ops.run1('pad', [x], { paddings: paddings.map(([b, a]) => [b, a] as const) });
}

/** x with a new axis of size 1 at `axis` (in [-(rank+1), rank]): a reshape. */
export function expandDimsShape(shape: Shape, axis: number): Shape {
  return withUnitAxis(shape, normalizeAxis('expandDims', axis, shape, shape.length + 1));
}

/** x without the given axes of size 1 (all of them when axis is undefined): a reshape. */
export function squeezeShape(shape: Shape, axis?: number | readonly number[]): Shape {
  if (axis === undefined) return shape.filter((d) => d !== 1);
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => normalizeAxis('squeeze', a, shape));
  if (new Set(axes).size !== axes.length) throw new Error(`squeeze: axes [${(axis as readonly number[]).join(', ')}] of ${fmt(shape)} name an axis twice`);
  for (const a of axes) {
    if (shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${fmt(shape)} has size ${shape[a]}; only axes of size 1 can be squeezed`);
  }
  return shape.filter((_, k) => !axes.includes(k));
}
