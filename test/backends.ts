// The backends every engine test runs on, and the comparison helpers they share. The GPU
// engine is created once per test file and kept for its whole life (Dawn must not be
// collected under a live device). If WebGPU is missing the suite fails loudly: it does not
// quietly test only the CPU.
//
// The GPU engine runs the kernel profile named by WEBGRAD_PROFILE (Node; vitest.config.ts runs
// the op and gradient suites once per profile) or by the page's ?profile= (browser suite), so
// every profile's variants run on SwiftShader; 'auto' (software here) when unset.

import { createEngine, type Engine } from '../src/index';
import { createRng } from '../src/data/batches';
import type { ProfileOption } from '../src/gpu/profile';

function requestedProfile(): ProfileOption {
  const fromPage = typeof location !== 'undefined' ? new URLSearchParams(location.search).get('profile') : null;
  const fromEnv = typeof process !== 'undefined' ? process.env?.WEBGRAD_PROFILE : undefined;
  return (fromPage ?? fromEnv ?? 'auto') as ProfileOption;
}

export const testProfile: ProfileOption = requestedProfile();

let gpuEngine: Promise<Engine> | null = null;

export function gpu(): Promise<Engine> {
  gpuEngine ??= createEngine({ backend: 'webgpu', profile: testProfile }).then((e) => {
    console.log(`[webgrad test] WebGPU adapter: ${e.adapter}, kernel profile ${e.kernelProfile}`);
    return e;
  });
  return gpuEngine;
}

export function cpu(precision: 'f32' | 'f64' = 'f32'): Promise<Engine> {
  return createEngine({ backend: 'cpu', precision });
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.next();
  return out;
}

/** The smallest normal f32, 2^-126. */
export const FLT_MIN = 2 ** -126;

/** The denormal contract: WebGPU lets a device flush f32 subnormals to zero (most do, and
 *  SwiftShader does) while the CPU reference keeps them, so |x| < FLT_MIN compares as 0. */
export const flushDenormal = (x: number): number => (Math.abs(x) < FLT_MIN ? 0 : x);

/**
 * Largest violation over i of a_i ≈ b_i, where ≈ is the engine's contract: subnormals are 0
 * (flushDenormal); a NaN must meet a NaN and an infinity the same infinity (violation
 * Infinity otherwise); finite values differ by at most atol + rtol·|b_i|. <= 1: within.
 */
export function maxViolation(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol = 0): { ratio: number; at: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const x = flushDenormal(a[i]!);
    const y = flushDenormal(b[i]!);
    let r: number;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) r = 0;
    else if (!Number.isFinite(x) || !Number.isFinite(y)) r = Infinity;
    else r = Math.abs(x - y) / (atol + rtol * Math.abs(y));
    if (!(r <= ratio)) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, at };
}

/** Asserts a ≈ b elementwise in the sense of maxViolation; the message shows the worst element. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol = 0, what = ''): void {
  const { ratio, at } = maxViolation(a, b, atol, rtol);
  if (!(ratio <= 1)) {
    throw new Error(`${what} mismatch at ${at}: got ${a[at]}, expected ${b[at]} (atol ${atol}, rtol ${rtol}, ratio ${ratio.toFixed(2)})`);
  }
}

/** Runs fn on the GPU engine and on the CPU reference: [gpu result, cpu result]. */
export async function both<T>(fn: (e: Engine) => Promise<T>): Promise<[T, T]> {
  return [await fn(await gpu()), await fn(await cpu())];
}

/** randomArray as f64 (for the f64 CPU engine's finite-difference checks). */
export const f64 = (n: number, seed: number, lo = -1, hi = 1) => Float64Array.from(randomArray(n, seed, lo, hi));

export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};
