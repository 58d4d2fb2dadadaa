// Shared types and cheap guards for the CPU reference kernels.
//
// Every kernel in src/cpu takes and returns Float64Array: it is the reference the GPU is
// checked against and what f64 finite-difference gradient checks call directly, so it
// must not round. The engine's CPU backend rounds the results to f32 itself when it
// mimics the GPU. Shape rules belong to the ops layer; the kernels only check lengths,
// cheaply, so that a wrong call fails loudly instead of reading past the data as NaN.

/** A flat, row-major f64 buffer. */
export type Vec = Float64Array;

/** Throws unless `v.length === n`: `fn: name has length L, expected n`. */
export function assertLength(fn: string, name: string, v: ArrayLike<number>, n: number): void {
  if (v.length !== n) {
    throw new RangeError(`${fn}: ${name} has length ${v.length}, expected ${n}`);
  }
}

/** Throws unless every value is a non-negative integer (a dimension). */
export function assertDims(fn: string, dims: Record<string, number>): void {
  for (const key of Object.keys(dims)) {
    const d = dims[key]!;
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${fn}: ${key} must be a non-negative integer, got ${d}`);
    }
  }
}
