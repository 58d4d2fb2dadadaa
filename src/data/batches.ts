// Seeded randomness, shuffling and mini-batching for training loops.
//
// Everything random in data handling takes an explicit generator made by
// createRng(seed), never Math.random, so a training run (epoch order, the digits
// split, weight init if nn/ wants it) is reproducible from its seed in Node and in
// every browser alike.

import type { Split } from './dataset';

/** A seeded pseudo-random number generator. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n); n must be a positive integer <= 2^32. */
  nextInt(n: number): number;
  /** Standard normal sample (mean 0, variance 1). */
  normal(): number;
}

/**
 * mulberry32: 32 bits of state, passes the usual statistical batteries well enough for
 * shuffling and initialisation, and is a few lines of integer math that give the same
 * stream on every JS engine. The seed is taken modulo 2^32.
 */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) {
    throw new Error(`createRng: seed must be an integer, got ${seed}`);
  }
  let state = seed >>> 0;
  // Box-Muller makes normals in pairs; keep the second for the next call.
  let spare: number | null = null;

  const nextU32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => nextU32() / 4294967296;

  return {
    next,
    nextInt(n: number): number {
      if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
        throw new Error(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
      }
      // Rejection sampling removes the modulo bias that plain floor(next() * n) has
      // when n does not divide 2^32.
      const limit = 4294967296 - (4294967296 % n);
      let x = nextU32();
      while (x >= limit) x = nextU32();
      return x % n;
    },
    normal(): number {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // 1 - next() is in (0, 1], so the log is finite.
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function shuffledIndices(n: number, rng: Rng): Uint32Array {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`shuffledIndices: n must be a non-negative integer, got ${n}`);
  }
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/** One mini-batch: `size` examples, x is row-major [size, features]. */
export interface Batch {
  /** Row-major [size, features] inputs. */
  x: Float32Array;
  /** One class index per example. */
  labels: Int32Array;
  /** Examples in the batch. */
  size: number;
}

/** Options for batches(). */
export interface BatchOptions {
  /** Visit examples in a random order; requires `rng`. Default false. */
  shuffle?: boolean;
  /** The generator used for the order when shuffle is true. */
  rng?: Rng;
  /** Skip the last batch if it is smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/** How many batches one pass over `count` examples yields. */
export function batchCount(count: number, batchSize: number, dropLast = false): number {
  checkBatchSize(batchSize);
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * Returns one epoch of mini-batches from a split. Arguments are checked at the call,
 * not at the first next(), so a bad batch size fails where it was written. Each batch
 * owns fresh arrays, so a caller may keep or upload a batch while iteration moves on.
 */
export function batches(split: Split, batchSize: number, options: BatchOptions = {}): Generator<Batch> {
  checkBatchSize(batchSize);
  const { shuffle = false, rng, dropLast = false } = options;
  if (shuffle && !rng) {
    // No hidden Math.random: an unseeded shuffle would make runs unreproducible.
    throw new Error('batches: shuffle: true needs an rng (e.g. createRng(seed))');
  }
  // The order is drawn now, so epochs drawn from one rng are reproducible even if
  // their iteration interleaves.
  const order = shuffle ? shuffledIndices(split.count, rng!) : null;
  return generateBatches(split, batchSize, order, dropLast);
}

function* generateBatches(
  split: Split,
  batchSize: number,
  order: Uint32Array | null,
  dropLast: boolean,
): Generator<Batch> {
  const { count, features } = split;
  const n = batchCount(count, batchSize, dropLast);
  for (let b = 0; b < n; b++) {
    const start = b * batchSize;
    const size = Math.min(batchSize, count - start);
    const x = new Float32Array(size * features);
    const labels = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const src = order ? order[start + i] : start + i;
      x.set(split.images.subarray(src * features, (src + 1) * features), i * features);
      labels[i] = split.labels[src];
    }
    yield { x, labels, size };
  }
}

/** Row-major [labels.length, classes] matrix with a 1 in each row's label column. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes <= 0) {
    throw new Error(`oneHot: classes must be a positive integer, got ${classes}`);
  }
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new Error(`oneHot: label ${y} at index ${i} is outside [0, ${classes})`);
    }
    out[i * classes + y] = 1;
  }
  return out;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  }
}
