// Shape ops on the CPU: transpose, slice, pad, concat (stack is concat on shapes with a new
// axis of 1). Each walks the output's coordinates with an odometer and reads the input at the
// coordinates the op's definition names, so the reference shares no index arithmetic with
// the GPU's strided-copy plans (src/ops/copy.ts).
//
//   transpose: out[c] = x[c permuted back]          out.shape[d] = x.shape[perm[d]]
//   slice:     out[c] = x[begin + c]                out.shape = size
//   pad:       out[c] = x[c - before] inside, else 0   out.shape = before + x.shape + after
//   concat:    out[c] = xs[k][c with c_axis - start_k]  for the k whose block holds c_axis

import { assertLength, type Vec } from './types';

type Dims = readonly number[];

const sizeOf = (shape: Dims) => shape.reduce((a, b) => a * b, 1);

/** Row-major strides of a shape. */
export function stridesOf(shape: Dims): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/** Calls fn(coords, flat) for every index of `shape` in row-major order. */
function forEachIndex(shape: Dims, fn: (c: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const c = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(c, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++c[d]! < shape[d]!) break;
      c[d] = 0;
    }
  }
}

const offsetOf = (c: Dims, strides: Dims) => c.reduce((acc, v, d) => acc + v * strides[d]!, 0);

// out[c] = x[c'] with c'[perm[d]] = c[d]
export function transposeCpu(x: Vec, shape: Dims, perm: Dims): Vec {
  assertLength('transposeCpu', 'x', x, sizeOf(shape));
  const xs = stridesOf(shape);
  const out = new Float64Array(x.length);
  forEachIndex(perm.map((p) => shape[p]!), (c, flat) => {
    let src = 0;
    for (let d = 0; d < c.length; d++) src += c[d]! * xs[perm[d]!]!;
    out[flat] = x[src]!;
  });
  return out;
}

// out[c] = x[begin + c]
export function sliceCpu(x: Vec, shape: Dims, begin: Dims, size: Dims): Vec {
  assertLength('sliceCpu', 'x', x, sizeOf(shape));
  const xs = stridesOf(shape);
  const out = new Float64Array(sizeOf(size));
  forEachIndex(size, (c, flat) => {
    out[flat] = x[offsetOf(c.map((v, d) => v + begin[d]!), xs)]!;
  });
  return out;
}

// out[c] = x[c - before] where 0 <= c - before < shape, else 0
export function padCpu(x: Vec, shape: Dims, paddings: readonly (readonly [number, number])[]): Vec {
  assertLength('padCpu', 'x', x, sizeOf(shape));
  const xs = stridesOf(shape);
  const outShape = shape.map((d, k) => paddings[k]![0] + d + paddings[k]![1]);
  const out = new Float64Array(sizeOf(outShape));
  forEachIndex(outShape, (c, flat) => {
    const src = c.map((v, d) => v - paddings[d]![0]);
    if (src.every((v, d) => v >= 0 && v < shape[d]!)) out[flat] = x[offsetOf(src, xs)]!;
  });
  return out;
}

// The inputs joined along `axis` (all other dims equal).
export function concatCpu(xs: readonly Vec[], shapes: readonly Dims[], axis: number): Vec {
  xs.forEach((x, k) => assertLength('concatCpu', `xs[${k}]`, x, sizeOf(shapes[k]!)));
  const starts: number[] = [];
  let total = 0;
  for (const s of shapes) {
    starts.push(total);
    total += s[axis]!;
  }
  const outShape = shapes[0]!.map((d, k) => (k === axis ? total : d));
  const strides = shapes.map(stridesOf);
  const out = new Float64Array(sizeOf(outShape));
  forEachIndex(outShape, (c, flat) => {
    let k = starts.length - 1;
    while (starts[k]! > c[axis]! || shapes[k]![axis] === 0) k--;
    const src = c.map((v, d) => (d === axis ? v - starts[k]! : v));
    out[flat] = xs[k]![offsetOf(src, strides[k]!)]!;
  });
  return out;
}
