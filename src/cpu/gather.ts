// Gather along an axis, its gradient (scatter-add) and one-hot rows, on the CPU
// (shaders/gather.wgsl). x is viewed as [outer, len, inner] around the gathered axis and the
// indices as a flat list of `count` values:
//
//   gather:     out[o, j, i] = x[o, idx[j], i]   for an integer idx[j] in [0, len); NaN otherwise
//               (a bad index from a tensor shows up as NaN rows, as jnp.take's mode='fill')
//   scatterAdd: dx[o, r, i] = Σ_{j : idx[j] = r} dy[o, j, i]   (j in increasing order; bad
//               indices add nowhere): the transpose of gather, summing repeated indices
//   oneHot:     out[j, c] = 1 if idx[j] = c else 0

import { assertDims, assertLength, type Vec } from './types';

export interface GatherView {
  outer: number;
  len: number;
  inner: number;
}

/** The row idx selects, or -1 when idx is not an integer in [0, len). */
export function indexRow(idx: number, len: number): number {
  return Number.isInteger(idx) && idx >= 0 && idx < len ? idx : -1;
}

export function gatherCpu(x: Vec, idx: ArrayLike<number>, { outer, len, inner }: GatherView): Vec {
  assertDims('gatherCpu', { outer, len, inner });
  assertLength('gatherCpu', 'x', x, outer * len * inner);
  const count = idx.length;
  const out = new Float64Array(outer * count * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const r = indexRow(idx[j]!, len);
      const dst = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = r < 0 ? NaN : x[(o * len + r) * inner + i]!;
    }
  }
  return out;
}

export function scatterAddCpu(dy: Vec, idx: ArrayLike<number>, { outer, len, inner }: GatherView): Vec {
  assertDims('scatterAddCpu', { outer, len, inner });
  const count = idx.length;
  assertLength('scatterAddCpu', 'dy', dy, outer * count * inner);
  const dx = new Float64Array(outer * len * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const r = indexRow(idx[j]!, len);
      if (r < 0) continue;
      const src = (o * count + j) * inner;
      const dst = (o * len + r) * inner;
      for (let i = 0; i < inner; i++) dx[dst + i]! += dy[src + i]!;
    }
  }
  return dx;
}

export function oneHotCpu(idx: ArrayLike<number>, depth: number): Vec {
  assertDims('oneHotCpu', { depth });
  const out = new Float64Array(idx.length * depth);
  for (let j = 0; j < idx.length; j++) {
    const c = indexRow(idx[j]!, depth);
    if (c >= 0) out[j * depth + c] = 1;
  }
  return out;
}

/**
 * The positions j grouped by their row idx[j] (a stable counting sort): row r's positions are
 * order[rowStart[r] .. rowStart[r+1]), in increasing j. The GPU's scatter-add reads this so each
 * destination row sums its own list in a fixed order, without atomics. Indices must be valid.
 */
export function rowLists(idx: ArrayLike<number>, len: number): { order: Float32Array; rowStart: Float32Array } {
  const rowStart = new Float32Array(len + 1);
  for (let j = 0; j < idx.length; j++) rowStart[idx[j]! + 1]!++;
  for (let r = 0; r < len; r++) rowStart[r + 1]! += rowStart[r]!;
  const next = rowStart.slice(0, len);
  const order = new Float32Array(idx.length);
  for (let j = 0; j < idx.length; j++) order[next[idx[j]!]!++] = j;
  return { order, rowStart };
}
