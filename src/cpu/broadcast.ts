// NumPy broadcasting: the shape rule and the index geometry that the GPU kernels
// (shaders/broadcast.wgsl) and the CPU references share.
//
// Shapes align from the right; in each position the sizes must be equal or one of them 1,
// which stretches (a missing leading position counts as 1). The result takes the larger size,
// so it never depends on the order of the operands.
//
// A plan describes how each operand is read for every result element: the result is walked
// row-major over `dims`, and operand k reads element Σ_d coord_d · strides[k][d] (stride 0
// along a stretched dimension). Size-1 dimensions are dropped and neighbours that every
// operand walks the same way are merged, so [M, N] + [N] becomes two dims and equal shapes
// become one: the kernels loop over few dims whatever the rank.

import type { Vec } from './types';

/** The highest rank that broadcasting ops accept (the lanes of the kernels' shape uniform). */
export const MAX_RANK = 6;

export interface BroadcastPlan {
  /** The result shape. */
  shape: number[];
  /** Collapsed result dims, outermost first (at least one; [0] for an empty result). */
  dims: number[];
  /** Per operand, per collapsed dim: the element stride (0 where the operand stretches). */
  strides: number[][];
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The broadcast result shape of `shapes`, or an Error naming the op and every shape. */
export function broadcastShape(op: string, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const named = shapes.map(fmt);
  const all = named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)!}` : named.join('');
  if (rank > MAX_RANK) throw new Error(`${op}: shapes ${all} have rank ${rank}; broadcasting supports rank at most ${MAX_RANK}`);
  const out: number[] = [];
  for (let p = 0; p < rank; p++) {
    let size = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + p] ?? 1;
      if (d === size || d === 1) continue;
      if (size !== 1) {
        throw new Error(
          `${op}: shapes ${all} do not broadcast: dimension ${p - rank} is ${size} in one and ${d} in another; ` +
            'expected, from the right, equal sizes or 1 (e.g. [M, N] with [N], [M, 1] or [1, N])',
        );
      }
      size = d;
    }
    out.push(size);
  }
  return out;
}

/** How each operand of shape `shapes[k]` is read over the broadcast result `shape`. */
export function broadcastPlan(shape: readonly number[], shapes: readonly (readonly number[])[]): BroadcastPlan {
  const rank = shape.length;
  // Row-major strides of each operand, aligned to the result and 0 where it stretches.
  const full = shapes.map((s) => {
    const st = new Array<number>(rank).fill(0);
    let step = 1;
    for (let p = rank - 1, q = s.length - 1; q >= 0; p--, q--) {
      st[p] = s[q] === 1 ? 0 : step;
      step *= s[q]!;
    }
    return st;
  });
  const dims: number[] = [];
  const strides: number[][] = shapes.map(() => []);
  for (let p = 0; p < rank; p++) {
    const d = shape[p]!;
    if (d === 1) continue; // a size-1 dim moves no operand
    const last = dims.length - 1;
    // Merge into the previous dim when every operand steps over it as one contiguous run.
    if (last >= 0 && full.every((st, k) => strides[k]![last] === st[p]! * d)) {
      dims[last]! *= d;
      full.forEach((st, k) => (strides[k]![last] = st[p]!));
      continue;
    }
    dims.push(d);
    full.forEach((st, k) => strides[k]!.push(st[p]!));
  }
  if (dims.length === 0 || dims.includes(0)) return { shape: [...shape], dims: [dims.includes(0) ? 0 : 1], strides: shapes.map(() => [0]) };
  return { shape: [...shape], dims, strides };
}

/** For each result element (row-major), the element of operand k that it reads. */
export function operandIndex(plan: BroadcastPlan, k: number): Int32Array {
  const { dims } = plan;
  const st = plan.strides[k]!;
  const n = dims.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(n);
  const coord = new Array<number>(dims.length).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    // odometer: bump the innermost dim, carrying outwards
    for (let d = dims.length - 1; d >= 0; d--) {
      off += st[d]!;
      if (++coord[d]! < dims[d]!) break;
      off -= st[d]! * dims[d]!;
      coord[d] = 0;
    }
  }
  return idx;
}

/** Operand values gathered to the result's layout (a copy of `v` when nothing stretches). */
export function expand(v: Vec, plan: BroadcastPlan, k: number): Vec {
  const idx = operandIndex(plan, k);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = v[idx[i]!]!;
  return out;
}
