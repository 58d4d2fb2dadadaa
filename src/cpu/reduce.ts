// Reductions over the middle axis of a [outer, len, inner] view, and their gradients.
//
// The tensor is viewed as [outer, len, inner] and the middle axis (length `len`) is
// reduced: out[o*inner + i] = reduce_l x[(o*len + l)*inner + i]. Axis 0 of a [T, N]
// matrix is outer = 1, len = T, inner = N (the bias gradient Σ_rows dZ); the last axis is
// outer = T, len = N, inner = 1; a full reduction is outer = inner = 1. (Sets of axes are
// brought to this view by the ops layer, with a transpose when they are not adjacent.)
//
//   sum:       Σ_l x                     grad: dy copied to every l
//   mean:      (1/len) Σ_l x             grad: dy / len            (mean over len = 0 is NaN)
//   max, min:  max_l x, min_l x          grad: dy to the first arg-max/arg-min, 0 elsewhere
//   logSumExp: m + log Σ_l exp(x - m), m = max_l x (−inf when every x is −inf; +inf when one is)
//                                        grad: dy · exp(x − logSumExp)   (the softmax; 0 at x = −inf)
//   variance:  (1/len) Σ_l (x − mean)²   (population; two passes)
//                                        grad: dy · 2 (x − mean) / len
//
// Sums accumulate in f64 in index order. The arg-max/min is the first extremal index; a NaN
// is both the maximum and the minimum (the first NaN wins), as in PyTorch. max, min,
// logSumExp and variance over len = 0 are errors.

import { assertDims, assertLength, type Vec } from './types';

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'logSumExp' | 'variance';

export interface ReduceResult {
  values: Vec;
  /** For max and min: the index along the reduced axis, [outer * inner]. */
  arg?: Int32Array;
  /** For variance: the mean, [outer * inner] (saved for the gradient). */
  center?: Vec;
}

/** What a gradient needs from the forward pass. */
export interface ReduceSaved {
  /** max, min: the arg-max/arg-min. */
  arg?: Int32Array;
  /** logSumExp, variance: the input. */
  x?: Vec;
  /** logSumExp: its values; variance: the mean. */
  center?: Vec;
}

// values[o, i] = reduce_l x[o, l, i]
export function reduceCpu(x: Vec, outer: number, len: number, inner: number, kind: ReduceKind): ReduceResult {
  assertDims('reduceCpu', { outer, len, inner });
  assertLength('reduceCpu', 'x', x, outer * len * inner);
  if (kind !== 'sum' && kind !== 'mean' && len === 0 && outer * inner > 0) {
    throw new RangeError(`reduceCpu: ${kind} over an empty axis`);
  }
  const at = (o: number, l: number, i: number) => x[(o * len + l) * inner + i]!;
  const values = new Float64Array(outer * inner);
  switch (kind) {
    case 'sum':
    case 'mean': {
      // l outer, i inner: the inner loop walks contiguous memory
      for (let o = 0; o < outer; o++) {
        for (let l = 0; l < len; l++) {
          for (let i = 0; i < inner; i++) values[o * inner + i]! += at(o, l, i);
        }
      }
      if (kind === 'mean') {
        const inv = 1 / len; // Infinity for len 0: 0 * Infinity = NaN, the empty mean
        for (let j = 0; j < values.length; j++) values[j]! *= inv;
      }
      return { values };
    }
    case 'max':
    case 'min': {
      const sign = kind === 'max' ? 1 : -1;
      const arg = new Int32Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let best = at(o, 0, i);
          for (let l = 1; l < len; l++) {
            const v = at(o, l, i);
            // strict comparison keeps the first extremum; a NaN beats any number, once
            if (sign * v > sign * best || (v !== v && best === best)) {
              best = v;
              arg[o * inner + i] = l;
            }
          }
          values[o * inner + i] = best;
        }
      }
      return { values, arg };
    }
    case 'logSumExp': {
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let m = -Infinity;
          for (let l = 0; l < len; l++) m = Math.max(m, at(o, l, i)); // NaN propagates
          if (m === -Infinity || m === Infinity || m !== m) {
            values[o * inner + i] = m;
            continue;
          }
          let s = 0;
          for (let l = 0; l < len; l++) s += Math.exp(at(o, l, i) - m);
          values[o * inner + i] = m + Math.log(s);
        }
      }
      return { values };
    }
    case 'variance': {
      const center = reduceCpu(x, outer, len, inner, 'mean').values;
      for (let o = 0; o < outer; o++) {
        for (let l = 0; l < len; l++) {
          for (let i = 0; i < inner; i++) values[o * inner + i]! += (at(o, l, i) - center[o * inner + i]!) ** 2;
        }
      }
      for (let j = 0; j < values.length; j++) values[j]! /= len;
      return { values, center };
    }
    default:
      throw new RangeError(`reduceCpu: unknown reduction ${String(kind)}`);
  }
}

// dx[o, l, i] = dy[o, i] · ∂reduce/∂x[o, l, i]
export function reduceGradCpu(kind: ReduceKind, dy: Vec, outer: number, len: number, inner: number, saved: ReduceSaved = {}): Vec {
  assertDims('reduceGradCpu', { outer, len, inner });
  assertLength('reduceGradCpu', 'dy', dy, outer * inner);
  const dx = new Float64Array(outer * len * inner);
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new RangeError(`reduceGradCpu: ${kind} needs ${what} of the forward pass`);
    return v;
  };
  if (kind === 'max' || kind === 'min') {
    const arg = need(saved.arg, `the arg-${kind}`);
    assertLength('reduceGradCpu', 'arg', arg, outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const l = arg[o * inner + i]!;
        if (l < 0 || l >= len) throw new RangeError(`reduceGradCpu: arg ${l} outside [0, ${len})`);
        dx[(o * len + l) * inner + i] = dy[o * inner + i]!;
      }
    }
    return dx;
  }
  const x = kind === 'logSumExp' || kind === 'variance' ? need(saved.x, 'x') : null;
  const center = x ? need(saved.center, kind === 'variance' ? 'the mean' : 'its values') : null;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      for (let i = 0; i < inner; i++) {
        const [r, j] = [o * inner + i, (o * len + l) * inner + i];
        switch (kind) {
          case 'sum': dx[j] = dy[r]!; break;
          case 'mean': dx[j] = dy[r]! * (1 / len); break;
          // an entry at −inf gets 0 (also when the whole row is −inf: exp(−inf − −inf) is NaN)
          case 'logSumExp': dx[j] = x![j] === -Infinity ? 0 : dy[r]! * Math.exp(x![j]! - center![r]!); break;
          case 'variance': dx[j] = (dy[r]! * 2 * (x![j]! - center![r]!)) / len; break;
          default: throw new RangeError(`reduceGradCpu: unknown reduction ${String(kind)}`);
        }
      }
    }
  }
  return dx;
}
