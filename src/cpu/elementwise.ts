// Elementwise binary ops with trailing broadcast (shaders/elementwise.wgsl, `binary`).
//
// The two operands are flat buffers; the shorter one repeats over the longer one, so a
// row vector [N] broadcasts over the rows of an [M, N] matrix and a scalar [1] over
// anything. That is the only broadcast the engine needs (bias rows, gating, scaling).
// The ops layer checks the shapes; here the longer length must be a multiple of both.

import { type Vec } from './types';

export type BinaryOp = 'add' | 'sub' | 'mul';

// out[i] = a[i % |a|] (+, − or *) b[i % |b|], |out| = max(|a|, |b|)
export function binaryCpu(op: BinaryOp, a: Vec, b: Vec): Vec {
  const na = a.length;
  const nb = b.length;
  // An empty operand (e.g. a [0, N] matrix) broadcasts to an empty result.
  if (na === 0 || nb === 0) return new Float64Array(0);
  const n = Math.max(na, nb);
  if (n % na !== 0 || n % nb !== 0) {
    throw new RangeError(`binaryCpu(${op}): lengths ${na} and ${nb} do not broadcast`);
  }
  const out = new Float64Array(n);
  if (op === 'add') {
    if (na === nb) for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    else for (let i = 0; i < n; i++) out[i] = a[i % na]! + b[i % nb]!;
  } else if (op === 'sub') {
    for (let i = 0; i < n; i++) out[i] = a[i % na]! - b[i % nb]!;
  } else if (op === 'mul') {
    if (na === nb) for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
    else for (let i = 0; i < n; i++) out[i] = a[i % na]! * b[i % nb]!;
  } else {
    throw new RangeError(`binaryCpu: unknown op ${String(op)}`);
  }
  return out;
}

// out[i] = factor · x[i]
export function scaleCpu(x: Vec, factor: number): Vec {
  return x.map((v) => factor * v);
}

// acc[i] += x[i], in place
export function accumulateCpu(acc: Vec, x: Vec): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += x[i]!;
}
