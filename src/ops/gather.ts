// gather (embedding lookup) and its gradient, a deterministic scatter-add; oneHot.
// x is viewed as [outer, len, inner] around the gathered axis; the result's shape is
// x.shape[:axis] + indices.shape + x.shape[axis+1:].
//
// Indices reach the GPU as f32 tensors (exact integers below 2^24). An Int32Array is checked
// on the CPU (a bad index is an Error) and, while gradients are recorded, grouped by row on
// the CPU (rowLists) so that the scatter-add sums each destination row's list in a fixed
// order. Indices in a Tensor are not read back: an index that is not an integer in [0, len)
// gives a NaN row in the result and no gradient (as jnp.take's mode='fill'), and the
// scatter-add scans every index for every output.

import { gatherCpu, oneHotCpu, rowLists, scatterAddCpu, type GatherView } from '../cpu/gather';
import { grid1d, type CommandQueue } from '../gpu/queue';
import { nonDifferentiable, type OpDef, type OpRunner } from './op';
import { normalizeAxis } from './shape';
import { Tensor, fmt, shapeSize, type Shape } from './tensor';

const WORKGROUP = 256;
/** The largest integer f32 holds exactly, and so the largest index the kernels can address. */
const MAX_EXACT = 2 ** 24;

export interface GatherAttrs {
  axis: number;
  /** Inputs 2 and 3 are the rows' lists of positions (order, rowStart) for the backward. */
  rowLists: boolean;
}

function viewOf(shape: Shape, axis: number): GatherView {
  return { outer: shapeSize(shape.slice(0, axis)), len: shape[axis]!, inner: shapeSize(shape.slice(axis + 1)) };
}

function dispatch(q: CommandQueue, kernel: 'gather.gather' | 'gather.scatter_add_rows' | 'gather.scatter_add_scan' | 'gather.one_hot', v: GatherView, count: number, outputs: number, bindings: Record<string, GPUBuffer>): void {
  if (outputs === 0) return;
  q.dispatch({
    kernel,
    overrides: { workgroup_size: WORKGROUP },
    uniforms: { outer: v.outer, len: v.len, inner: v.inner, count },
    bindings,
    workgroups: grid1d(outputs, WORKGROUP),
  });
}

/** out[o, j, i] = x[o, idx[j], i] (NaN for an index outside [0, len) or not an integer). */
export const gather: OpDef<GatherAttrs> = {
  name: 'gather',
  outputs([x, idx, ...lists], { axis, rowLists: withLists }) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= x!.length) throw new Error(`gather: axis ${axis} is out of range for ${fmt(x!)}`);
    if (lists.length !== (withLists ? 2 : 0)) throw new Error(`gather: expected ${withLists ? 4 : 2} inputs, got ${2 + lists.length}`);
    if (x![axis]! > MAX_EXACT) throw new Error(`gather: axis ${axis} of ${fmt(x!)} is longer than f32 indices address exactly (2^24)`);
    return [[...x!.slice(0, axis), ...idx!, ...x!.slice(axis + 1)]];
  },
  cpu: ([x, idx], [s], { axis }) => [gatherCpu(x!, idx!, viewOf(s!, axis))],
  gpu(q, [x, idx], [out], [s, si], { axis }) {
    const v = viewOf(s!, axis);
    const count = shapeSize(si!);
    dispatch(q, 'gather.gather', v, count, v.outer * count * v.inner, { x: x!, idx: idx!, out: out! });
  },
  // gather is linear in x; its transpose adds each dy row into the row it was read from
  backward: ({ ops, inputs: [x, ...indices], dy, attrs }) => [ops.run1('scatterAdd', [dy, ...indices], { ...attrs, shape: x!.shape })],
};

/** dx[o, r, i] = Σ_{j : idx[j] = r} dy[o, j, i]: the gradient of gather, in a fixed order. */
export const scatterAdd: OpDef<GatherAttrs & { shape: Shape }> = {
  name: 'scatterAdd',
  outputs([dy, idx, ...lists], { axis, shape, rowLists: withLists }) {
    const want = gather.outputs([shape, idx!, ...lists], { axis, rowLists: withLists })[0]!;
    if (shapeSize(want) !== shapeSize(dy!)) throw new Error(`scatterAdd: dy ${fmt(dy!)} does not match the gather result ${fmt(want)}`);
    return [shape];
  },
  cpu: ([dy, idx], _s, { axis, shape }) => [scatterAddCpu(dy!, idx!, viewOf(shape, axis))],
  gpu(q, [dy, idx, order, rowStart], [out], [, si], { axis, shape, rowLists: withLists }) {
    const v = viewOf(shape, axis);
    const outputs = v.outer * v.len * v.inner;
    const count = shapeSize(si!);
    if (withLists) dispatch(q, 'gather.scatter_add_rows', v, count, outputs, { dy: dy!, order: order!, row_start: rowStart!, out: out! });
    else dispatch(q, 'gather.scatter_add_scan', v, count, outputs, { dy: dy!, idx: idx!, out: out! });
  },
  // scatterAdd is linear in dy; its transpose is gather
  backward: ({ ops, inputs: [, ...indices], dy, attrs: { axis, rowLists: withLists } }) => [ops.run1('gather', [dy, ...indices], { axis, rowLists: withLists })],
};

/**
 * gather(x, indices, axis): an Int32Array is checked here (each index in [0, len)) and uploaded,
 * with its rows' lists when `recording` (gradients are being recorded); the uploads are owned
 * by the result. A Tensor of indices is used as it is (see the file comment for bad values).
 */
export function runGather(ops: OpRunner & TensorMaker, x: Tensor, indices: Int32Array | Tensor, axis: number, recording: boolean): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`gather: x must be a Tensor, got ${String(x)}`);
  const a = normalizeAxis('gather', axis, x.shape);
  if (indices instanceof Tensor) return ops.run1('gather', [x, indices], { axis: a, rowLists: false });
  if (!(indices instanceof Int32Array)) throw new Error(`gather: indices must be an Int32Array or a Tensor, got ${String(indices)}`);
  const len = x.shape[a]!;
  indices.forEach((r, j) => {
    if (r < 0 || r >= len) throw new Error(`gather: index ${r} at position ${j} is out of range for axis ${a} of ${fmt(x.shape)} (expected [0, ${len}))`);
  });
  gather.outputs([x.shape, [indices.length]], { axis: a, rowLists: false });
  const uploads = [ops.tensor(Float32Array.from(indices), [indices.length])];
  if (recording) {
    const { order, rowStart } = rowLists(indices, len);
    uploads.push(ops.tensor(order, [order.length]), ops.tensor(rowStart, [rowStart.length]));
  }
  try {
    const out = ops.run1('gather', [x, ...uploads], { axis: a, rowLists: recording });
    out.owned.push(...uploads);
    return out;
  } catch (err) {
    uploads.forEach((t) => t.dispose());
    throw err;
  }
}

/** What runGather and runOneHot need besides running ops: uploads. */
export interface TensorMaker {
  tensor(data: ArrayLike<number>, shape: Shape): Tensor;
}

/** out[j, c] = 1 if labels[j] = c else 0; not differentiable (integer labels). */
export const oneHot: OpDef<{ depth: number }> = {
  name: 'oneHot',
  outputs([labels], { depth }) {
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_EXACT) throw new Error(`oneHot: depth must be an integer in [1, 2^24], got ${depth}`);
    return [[shapeSize(labels!), depth]];
  },
  cpu: ([labels], _s, { depth }) => [oneHotCpu(labels!, depth)],
  gpu(q, [labels], [out], [s], { depth }) {
    const count = shapeSize(s!);
    dispatch(q, 'gather.one_hot', { outer: 1, len: depth, inner: 1 }, count, count * depth, { idx: labels!, out: out! });
  },
  backward: nonDifferentiable('oneHot takes integer labels'),
};

/** oneHot(labels, depth): labels checked here (integers in [0, depth)), uploaded, then freed. */
export function runOneHot(ops: OpRunner & TensorMaker, labels: Int32Array, depth: number): Tensor {
  if (!(labels instanceof Int32Array)) throw new Error(`oneHot: labels must be an Int32Array, got ${String(labels)}`);
  oneHot.outputs([[labels.length]], { depth });
  labels.forEach((c, j) => {
    if (c < 0 || c >= depth) throw new Error(`oneHot: label ${c} at position ${j} is out of range (expected [0, ${depth}))`);
  });
  const t = ops.tensor(Float32Array.from(labels), [labels.length]);
  try {
    return ops.run1('oneHot', [t], { depth });
  } finally {
    t.dispose(); // pooled buffers are reused only after the pending commands are submitted
  }
}
