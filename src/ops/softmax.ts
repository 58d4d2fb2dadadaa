// Row-wise softmax and log-softmax over the last axis (a tensor viewed as [rows, cols]), the
// softmax Jacobian-vector product, and the kernels of their backward rules. One workgroup
// per row reduces the row (max, then Σ e^(x - max)) in a fixed tree: see shaders/softmax.wgsl.

import { softmaxCpu, softmaxJvpCpu } from '../cpu/softmax';
import { grid1d, type CommandQueue } from '../gpu/queue';
import type { Overrides } from '../gpu/kernels';
import type { RowPolicy } from '../gpu/profile';
import type { OpDef } from './op';
import { run1 } from './op';
import { fmt, shapeSize, type Shape } from './tensor';

type NoAttrs = Record<string, never>;

/** A tensor as [rows, cols] around its last axis (a scalar is one row of one). */
export function rowView(shape: Shape): { rows: number; cols: number } {
  return { rows: shapeSize(shape.slice(0, -1)), cols: shape.length === 0 ? 1 : shape[shape.length - 1]! };
}

/** Invocations per row: the smallest power of two covering the row, up to the profile's
 *  cap (longer rows are strided); rows per workgroup: enough to reach the profile's group
 *  size, so short rows do not leave most of a workgroup idle. On a software adapter
 *  (SwiftShader) barriers cost per invocation: [128, 1000] ran 29 ms at 64 wide, 11.5 ms at
 *  16 and 7.5 ms at 4; a real GPU wants wide groups. */
export function rowLayout(cols: number, policy: RowPolicy): { rowThreads: number; groupRows: number } {
  let rowThreads = 1;
  while (rowThreads < cols && rowThreads < policy.maxThreads) rowThreads *= 2;
  return { rowThreads, groupRows: Math.max(1, Math.floor(policy.groupThreads / rowThreads)) };
}

/** Rows of the view, row_threads invocations each, group_rows per workgroup, on the
 *  subgroup variant of the family where the engine's choices allow (KernelChoices.subgroupRows).
 *  Rows of length 0 are still dispatched (cheap, and a loss must write their per-row value, 0). */
export function dispatchRows(
  q: CommandQueue,
  kernel: `${'softmax' | 'loss'}.${string}`,
  { rows, cols }: { rows: number; cols: number },
  uniforms: Record<string, number>,
  bindings: Record<string, GPUBuffer>,
  overrides: Overrides = {},
): void {
  if (rows === 0) return;
  const { rowThreads, groupRows } = rowLayout(cols, q.choices.profile.rows);
  const subgroups = q.choices.subgroupRows(rowThreads);
  const [family, entry] = kernel.split('.') as ['softmax' | 'loss', string];
  q.dispatch({
    kernel: subgroups ? `${family}_subgroups.${entry}` : kernel,
    overrides: { row_threads: rowThreads, group_rows: groupRows, ...(subgroups ? { row_in_subgroup: subgroups === 'butterfly' } : {}), ...overrides },
    uniforms: { rows, cols, ...uniforms },
    bindings,
    workgroups: grid1d(rows, groupRows),
  });
  q.choices.note(family, { variant: subgroups ? `subgroup ${subgroups}` : 'workgroup tree', rowThreads, groupRows });
}

function rankAtLeast1(op: string, s: Shape): void {
  if (s.length === 0) throw new Error(`${op}: needs a tensor of rank >= 1 (it runs over the last axis), got a scalar of shape []`);
}

function sameShapes(op: string, names: string[], shapes: readonly Shape[]): Shape {
  const first = shapes[0]!;
  shapes.forEach((s, i) => {
    if (s.length !== first.length || s.some((d, k) => d !== first[k])) {
      throw new Error(`${op}: ${names[0]} ${fmt(first)} and ${names[i]} ${fmt(s)} must have the same shape`);
    }
  });
  rankAtLeast1(op, first);
  return first;
}

function softmaxOp(log: boolean): OpDef<NoAttrs> {
  const name = log ? 'logSoftmax' : 'softmax';
  return {
    name,
    outputs([x]) {
      rankAtLeast1(name, x!);
      return [x!];
    },
    cpu([x], [s]) {
      const { rows, cols } = rowView(s!);
      return [softmaxCpu(x!, rows, cols, log)];
    },
    gpu(q, [x], [out], [s]) {
      dispatchRows(q, 'softmax.softmax', rowView(s!), {}, { x: x!, out: out! }, { log_output: log });
    },
    // softmax:      dx = Jᵀ dy = J dy = y ⊙ (dy - ⟨dy, y⟩)
    // log-softmax:  dx = dy - softmax(x) Σ_row dy, softmax(x) = e^y
    backward: ({ ops, outputs: [y], dy }) => [run1(ops, log ? logSoftmaxGrad : softmaxJvp, [y!, dy], {})],
  };
}

export const softmax = softmaxOp(false);
export const logSoftmax = softmaxOp(true);

/** J v = y ⊙ (v - ⟨v, y⟩) per row, J the softmax Jacobian at y (symmetric: JVP = VJP). */
export const softmaxJvp: OpDef<NoAttrs> = {
  name: 'softmaxJvp',
  outputs: (shapes) => [sameShapes('softmaxJvp', ['y', 'v'], shapes)],
  cpu([y, v], [s]) {
    const { rows, cols } = rowView(s!);
    return [softmaxJvpCpu(y!, v!, rows, cols)];
  },
  gpu(q, [y, v], [out], [s]) {
    dispatchRows(q, 'softmax.jvp', rowView(s!), {}, { y: y!, v: v!, out: out! });
  },
  // out = y ⊙ (v - s), s = ⟨v, y⟩, upstream g:
  //   ∂/∂v = y ⊙ (g - ⟨g, y⟩) = jvp(y, g);   ∂/∂y = g ⊙ (v - s) - v ⟨g, y⟩
  backward: ({ ops, inputs: [y, v], dy, needsGrad }) => [
    needsGrad[0] ? run1(ops, softmaxJvpGradY, [y!, v!, dy], {}) : null,
    needsGrad[1] ? run1(ops, softmaxJvp, [y!, dy], {}) : null,
  ],
};

/** dx = g ⊙ (v - ⟨v, y⟩) - v ⟨g, y⟩ per row: the gradient of softmaxJvp w.r.t. y. */
export const softmaxJvpGradY: OpDef<NoAttrs> = {
  name: 'softmaxJvpGradY',
  outputs: (shapes) => [sameShapes('softmaxJvpGradY', ['y', 'v', 'dy'], shapes)],
  cpu([y, v, g], [s]) {
    const { rows, cols } = rowView(s!);
    const out = new Float64Array(rows * cols);
    for (let o = 0; o < out.length; o += cols) {
      let vy = 0;
      let gy = 0;
      for (let j = o; j < o + cols; j++) {
        vy += v![j]! * y![j]!;
        gy += g![j]! * y![j]!;
      }
      for (let j = o; j < o + cols; j++) out[j] = g![j]! * (v![j]! - vy) - v![j]! * gy;
    }
    return [out];
  },
  gpu(q, [y, v, g], [out], [s]) {
    dispatchRows(q, 'softmax.jvp_grad_y', rowView(s!), {}, { y: y!, v: v!, dy: g!, out: out! });
  },
};

/** dx = dy - e^y Σ_row dy, y the saved log-softmax: the gradient of logSoftmax. */
export const logSoftmaxGrad: OpDef<NoAttrs> = {
  name: 'logSoftmaxGrad',
  outputs: (shapes) => [sameShapes('logSoftmaxGrad', ['y', 'dy'], shapes)],
  cpu([y, dy], [s]) {
    const { rows, cols } = rowView(s!);
    const out = new Float64Array(rows * cols);
    for (let o = 0; o < out.length; o += cols) {
      let sum = 0;
      for (let j = o; j < o + cols; j++) sum += dy![j]!;
      for (let j = o; j < o + cols; j++) out[j] = dy![j]! - Math.exp(y![j]!) * sum;
    }
    return [out];
  },
  gpu(q, [y, dy], [out], [s]) {
    dispatchRows(q, 'softmax.log_softmax_grad', rowView(s!), {}, { y: y!, dy: dy!, out: out! });
  },
};
