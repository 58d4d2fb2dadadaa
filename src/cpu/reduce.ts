// Reductions over one axis and their gradients.
//
// The tensor is viewed as [outer, len, inner] and the middle axis (length `len`) is
// reduced: out[o*inner + i] = reduce_l x[(o*len + l)*inner + i]. Axis 0 of a [T, N]
// matrix is outer = 1, len = T, inner = N (the bias gradient Σ_rows dZ); the last axis is
// outer = T, len = N, inner = 1; a full reduction is outer = inner = 1.
//
//   sum:  Σ_l x            grad: dy copied to every l
//   mean: (1/len) Σ_l x    grad: dy / len            (mean over len = 0 is NaN)
//   max:  max_l x          grad: dy to the arg-max, 0 elsewhere (subgradient of a max)
//
// Sums accumulate in f64 in index order. The arg-max is the first maximal index; a NaN
// is the maximum (the first NaN wins), as in PyTorch. max over len = 0 is an error.

import { assertDims, assertLength, type Vec } from './types';

export type ReduceKind = 'sum' | 'mean' | 'max';

export interface ReduceResult {
  values: Vec;
  /** For 'max': the index along the reduced axis, [outer * inner]. */
  argmax?: Int32Array;
}

// values[o, i] = reduce_l x[o, l, i]
export function reduceCpu(
  x: Vec,
  outer: number,
  len: number,
  inner: number,
  kind: ReduceKind,
): ReduceResult {
  assertDims('reduceCpu', { outer, len, inner });
  assertLength('reduceCpu', 'x', x, outer * len * inner);
  const values = new Float64Array(outer * inner);
  if (kind === 'sum' || kind === 'mean') {
    // l outer, i inner: the inner loop walks contiguous memory
    for (let o = 0; o < outer; o++) {
      const dst = o * inner;
      for (let l = 0; l < len; l++) {
        const src = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) values[dst + i]! += x[src + i]!;
      }
    }
    if (kind === 'mean') {
      const inv = 1 / len; // Infinity for len 0: 0 * Infinity = NaN, the empty mean
      for (let j = 0; j < values.length; j++) values[j]! *= inv;
    }
    return { values };
  }
  if (kind === 'max') {
    if (len === 0 && outer * inner > 0) throw new RangeError('reduceCpu: max over an empty axis');
    const argmax = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      const dst = o * inner;
      const first = o * len * inner;
      for (let i = 0; i < inner; i++) values[dst + i] = x[first + i]!;
      for (let l = 1; l < len; l++) {
        const src = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) {
          const v = x[src + i]!;
          const best = values[dst + i]!;
          // strict > keeps the first maximum; a NaN beats any number, once
          if (v > best || (v !== v && best === best)) {
            values[dst + i] = v;
            argmax[dst + i] = l;
          }
        }
      }
    }
    return { values, argmax };
  }
  throw new RangeError(`reduceCpu: unknown reduction ${String(kind)}`);
}

// dx[o, l, i] = dy[o, i] · (1 | 1/len | [l = argmax[o, i]])
export function reduceGradCpu(
  kind: ReduceKind,
  dy: Vec,
  outer: number,
  len: number,
  inner: number,
  argmax?: Int32Array,
): Vec {
  assertDims('reduceGradCpu', { outer, len, inner });
  assertLength('reduceGradCpu', 'dy', dy, outer * inner);
  const dx = new Float64Array(outer * len * inner);
  if (kind === 'sum' || kind === 'mean') {
    const scale = kind === 'mean' ? 1 / len : 1;
    for (let o = 0; o < outer; o++) {
      const src = o * inner;
      for (let l = 0; l < len; l++) {
        const dst = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) dx[dst + i] = dy[src + i]! * scale;
      }
    }
    return dx;
  }
  if (kind === 'max') {
    if (argmax === undefined) throw new RangeError('reduceGradCpu: max needs the argmax of the forward pass');
    assertLength('reduceGradCpu', 'argmax', argmax, outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const l = argmax[o * inner + i]!;
        if (l < 0 || l >= len) throw new RangeError(`reduceGradCpu: argmax ${l} outside [0, ${len})`);
        dx[(o * len + l) * inner + i] = dy[o * inner + i]!;
      }
    }
    return dx;
  }
  throw new RangeError(`reduceGradCpu: unknown reduction ${String(kind)}`);
}
